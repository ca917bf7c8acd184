import NameIndexCore
import NameIndexProtocol

/// Why a call to nameindexd did not produce a reply.
public struct NameIndexClientError: NameIndexError {
    public typealias Code = ErrorCode<NameIndexClientError>

    public var code: Code
    public var message: String
    /// The error reply, for ``Code/remote``.
    public var remote: VarlinkErrorReply?
    public var underlying: (any Error & Sendable)?
    public var location: ErrorLocation

    public init(
        code: Code, message: String, remote: VarlinkErrorReply? = nil, underlying: (any Error & Sendable)? = nil,
        file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.remote = remote
        self.underlying = underlying
        self.location = ErrorLocation(file: file, line: line)
    }

    /// The typed `io.nameindex.Index` error, when the daemon sent one.
    public var failure: IndexInterface.Failure? { remote.flatMap(IndexInterface.Failure.init) }

    public var description: String { message }
}

extension ErrorCode where Domain == NameIndexClientError {
    /// The socket could not be opened.
    public static let connectFailed = Self("connectFailed")
    /// The daemon closed the connection before replying.
    public static let connectionClosed = Self("connectionClosed")
    /// The reply was not what the interface defines.
    public static let invalidReply = Self("invalidReply")
    /// The daemon answered with a varlink error (see ``NameIndexClientError/remote``).
    public static let remote = Self("remote")
}
