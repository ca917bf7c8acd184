/// The envelope of a varlink call, without its parameters.
///
/// Decoding a call takes two steps: this header first, to find the method,
/// then ``VarlinkCall`` with the parameter type that method expects.
public struct VarlinkCallHeader: Codable, Sendable, Equatable {
    public var method: String
    public var more: Bool?
    public var oneway: Bool?
    public var upgrade: Bool?

    public init(method: String, more: Bool? = nil, oneway: Bool? = nil, upgrade: Bool? = nil) {
        self.method = method
        self.more = more
        self.oneway = oneway
        self.upgrade = upgrade
    }
}

/// A varlink call with typed parameters.
public struct VarlinkCall<Parameters: Codable & Sendable>: Codable, Sendable {
    public var method: String
    public var parameters: Parameters?
    public var more: Bool?
    public var oneway: Bool?

    public init(method: String, parameters: Parameters?, more: Bool? = nil, oneway: Bool? = nil) {
        self.method = method
        self.parameters = parameters
        self.more = more
        self.oneway = oneway
    }
}

/// A varlink reply: parameters, or an error name with its parameters.
public struct VarlinkReply<Parameters: Codable & Sendable>: Codable, Sendable {
    public var parameters: Parameters?
    public var continues: Bool?
    public var error: String?

    public init(parameters: Parameters?, continues: Bool? = nil, error: String? = nil) {
        self.parameters = parameters
        self.continues = continues
        self.error = error
    }
}

/// Parameters of a method that takes or returns none.
public struct NoParameters: Codable, Sendable, Equatable {
    public init() {}
}

/// An error as it travels on the wire: a qualified name and its parameters.
public struct VarlinkErrorReply: Error, Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var parameters: JSONValue

    public init(name: String, parameters: JSONValue = .object([:])) {
        self.name = name
        self.parameters = parameters
    }

    public var description: String { "\(name) \(parameters)" }

    // The errors of the org.varlink.service interface.
    public static func interfaceNotFound(_ interface: String) -> Self {
        .init(name: "org.varlink.service.InterfaceNotFound", parameters: .object(["interface": .string(interface)]))
    }
    public static func methodNotFound(_ method: String) -> Self {
        .init(name: "org.varlink.service.MethodNotFound", parameters: .object(["method": .string(method)]))
    }
    public static func methodNotImplemented(_ method: String) -> Self {
        .init(name: "org.varlink.service.MethodNotImplemented", parameters: .object(["method": .string(method)]))
    }
    public static func invalidParameter(_ parameter: String) -> Self {
        .init(name: "org.varlink.service.InvalidParameter", parameters: .object(["parameter": .string(parameter)]))
    }
}
