extension IndexInterface {
    // MARK: Misses, Explain and the skipped rows of Status

    public struct MissesParameters: Codable, Sendable, Equatable {
        public var namespace: String
        public var limit: Int?
        public init(namespace: String, limit: Int? = nil) {
            self.namespace = namespace
            self.limit = limit
        }
    }

    public struct MissedKey: Codable, Sendable, Equatable {
        public var key: String
        public var truncated: Bool
        public var count: Int
        public var error: Int
        public var firstSeenUSec: UInt64
        public var lastSeenUSec: UInt64
        public init(key: String, truncated: Bool, count: Int, error: Int, firstSeenUSec: UInt64, lastSeenUSec: UInt64) {
            self.key = key
            self.truncated = truncated
            self.count = count
            self.error = error
            self.firstSeenUSec = firstSeenUSec
            self.lastSeenUSec = lastSeenUSec
        }
    }

    public struct MissesReply: Codable, Sendable, Equatable {
        public var namespace: String
        public var capacity: Int
        public var sinceUSec: UInt64
        public var misses: Int
        public var distinct: Int
        public var keys: [MissedKey]
        public var generation: UInt64
        public init(
            namespace: String, capacity: Int, sinceUSec: UInt64, misses: Int, distinct: Int, keys: [MissedKey], generation: UInt64
        ) {
            self.namespace = namespace
            self.capacity = capacity
            self.sinceUSec = sinceUSec
            self.misses = misses
            self.distinct = distinct
            self.keys = keys
            self.generation = generation
        }
    }

    public struct SkippedRow: Codable, Sendable, Equatable {
        /// The most bytes of a row shown.
        public static let maximumRawBytes = 200

        public var reason: String
        public var location: String
        public var raw: String
        public var rawBytes: Int
        public var key: String?
        public init(reason: String, location: String, raw: String, rawBytes: Int, key: String? = nil) {
            self.reason = reason
            self.location = location
            self.raw = raw
            self.rawBytes = rawBytes
            self.key = key
        }
    }

    public struct ExplainParameters: Codable, Sendable, Equatable {
        public var namespace: String
        public var key: String
        public init(namespace: String, key: String) {
            self.namespace = namespace
            self.key = key
        }
    }

    public struct ExplainSource: Codable, Sendable, Equatable {
        public enum Answer: String, Codable, Sendable {
            case name, overlay, deleted, absent
        }

        public var source: String
        public var kind: String
        public var answer: Answer
        public var name: String?
        public var loadedAtUSec: UInt64?
        public var partition: String?
        public var partitions: Int
        public var skipped: [SkippedRow]
        public init(
            source: String, kind: String, answer: Answer, name: String? = nil, loadedAtUSec: UInt64? = nil,
            partition: String? = nil, partitions: Int = 1, skipped: [SkippedRow] = []
        ) {
            self.source = source
            self.kind = kind
            self.answer = answer
            self.name = name
            self.loadedAtUSec = loadedAtUSec
            self.partition = partition
            self.partitions = partitions
            self.skipped = skipped
        }
    }

    public struct ExplainReply: Codable, Sendable, Equatable {
        public var namespace: String
        public var key: String
        public var generation: UInt64
        public var generationCreatedAtUSec: UInt64
        public var answeredBy: String?
        public var name: String?
        public var sources: [ExplainSource]
        public init(
            namespace: String, key: String, generation: UInt64, generationCreatedAtUSec: UInt64, answeredBy: String?,
            name: String?, sources: [ExplainSource]
        ) {
            self.namespace = namespace
            self.key = key
            self.generation = generation
            self.generationCreatedAtUSec = generationCreatedAtUSec
            self.answeredBy = answeredBy
            self.name = name
            self.sources = sources
        }
    }
}
