import NIOCore

/// What one lookup connection may cost the daemon, besides the request parser's own bounds
/// (``RESPRequestParser``: 16 MiB a request, 1,048,576 arguments).
struct LookupLimits: Sendable {
    /// The most one request's reply may take (16 MiB, as a request): a larger one is answered
    /// with `-ERR` instead of being built.
    var maximumReplyBytes = 16 << 20
    /// Replies waiting after which they are sent before more requests of the same read are
    /// answered; while the client does not take them, nothing more is answered or read.
    var flushBytes = 1 << 20
    /// `request_timeout`: a request begun must be complete within this.
    var requestTimeout = TimeAmount.seconds(10)
    /// `lookup_idle_timeout`: nil (the default) leaves idle connections open.
    var idleTimeout: TimeAmount?

    var replyTooLargeMessage: String {
        "ERR reply exceeds the lookup socket's limit of \(maximumReplyBytes) bytes; ask for fewer keys"
    }
}
