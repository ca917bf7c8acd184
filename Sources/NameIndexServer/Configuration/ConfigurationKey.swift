/// A configuration key: its name, the type its manual entry opens with, and whether it is required.
public struct ConfigurationKey: Sendable, Hashable {
    public enum ValueType: String, Sendable {
        case string = "String"
        case integer = "Integer"
        case boolean = "Boolean"
        case timeSpan = "Time span"
        case integerOrTimeSpan = "Integer or time span"
        case absolutePath = "Absolute path"
        case arrayOfStrings = "Array of strings"
    }

    public var name: String
    public var type: ValueType
    public var required: Bool

    public init(_ name: String, _ type: ValueType, required: Bool = false) {
        self.name = name
        self.type = type
        self.required = required
    }
}
