/// A reason the daemon cannot start or keep running, worded for the operator.
public struct DaemonError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var location: String

    public init(message: String, file: String = #fileID, line: Int = #line) {
        self.message = message
        self.location = "\(file):\(line)"
    }

    public var description: String { message }
}
