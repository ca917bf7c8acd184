import NameIndexProtocol

/// Why a call to nameindexd did not produce a reply.
public struct NameIndexClientError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable { case connectFailed, connectionClosed, invalidReply, remote }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The socket could not be opened.
        public static let connectFailed = Code(.connectFailed)
        /// The daemon closed the connection before replying.
        public static let connectionClosed = Code(.connectionClosed)
        /// The reply was not what the interface defines.
        public static let invalidReply = Code(.invalidReply)
        /// The daemon answered with a varlink error (see ``remote``).
        public static let remote = Code(.remote)

        public var description: String { String(describing: base) }
    }

    public var code: Code
    public var message: String
    /// The error reply, for ``Code/remote``.
    public var remote: VarlinkErrorReply?

    public init(code: Code, message: String, remote: VarlinkErrorReply? = nil) {
        self.code = code
        self.message = message
        self.remote = remote
    }

    /// The typed `io.nameindex.Index` error, when the daemon sent one.
    public var failure: IndexInterface.Failure? { remote.flatMap(IndexInterface.Failure.init) }

    public var description: String { message }
}
