/// The `io.nameindex.Index` varlink interface: its name, its definition text (in
/// IndexInterface+Definition.swift)
/// and its methods. Server and client both use these, so the wire format is
/// written down exactly once.
public enum IndexInterface {
    public static let name = "io.nameindex.Index"

    /// The methods, by their unqualified names.
    public enum Method: String, CaseIterable, Sendable {
        case lookup = "Lookup"
        case listNamespaces = "ListNamespaces"
        case status = "Status"
        case reload = "Reload"
        case cancelReload = "CancelReload"
        case metrics = "Metrics"
        case misses = "Misses"
        case explain = "Explain"

        /// The fully qualified method name used on the wire.
        public var qualifiedName: String { "\(IndexInterface.name).\(rawValue)" }
    }

    // MARK: Method parameters and replies

    public struct LookupParameters: Codable, Sendable, Equatable {
        public var namespace: String
        public var keys: [String]
        public init(namespace: String, keys: [String]) {
            self.namespace = namespace
            self.keys = keys
        }
    }

    public struct LookupReply: Codable, Sendable, Equatable {
        public var names: [String?]
        public var generation: UInt64
        public init(names: [String?], generation: UInt64) {
            self.names = names
            self.generation = generation
        }

        // Encode nulls explicitly: a missing element would shift every later name.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            var list = container.nestedUnkeyedContainer(forKey: .names)
            for name in names {
                if let name { try list.encode(name) } else { try list.encodeNil() }
            }
            try container.encode(generation, forKey: .generation)
        }
    }

    public struct Namespace: Codable, Sendable, Equatable {
        public var name: String
        public var entries: Int
        public var lookups: Int?
        public var hits: Int?
        public init(name: String, entries: Int, lookups: Int? = nil, hits: Int? = nil) {
            self.name = name
            self.entries = entries
            self.lookups = lookups
            self.hits = hits
        }
    }

    public struct ListNamespacesReply: Codable, Sendable, Equatable {
        public var namespaces: [Namespace]
        public var generation: UInt64
        public init(namespaces: [Namespace], generation: UInt64) {
            self.namespaces = namespaces
            self.generation = generation
        }
    }

    public struct NamespaceChanges: Codable, Sendable, Equatable {
        public var namespace: String
        public var added: Int
        public var removed: Int
        public var changed: Int
        public init(namespace: String, added: Int, removed: Int, changed: Int) {
            self.namespace = namespace
            self.added = added
            self.removed = removed
            self.changed = changed
        }
    }

    public struct ReloadReply: Codable, Sendable, Equatable {
        public var generation: UInt64
        public var entries: Int
        public var durationUSec: UInt64
        /// Progress replies (and the last one of a call with `more`): every source, with its fetch.
        public var sources: [SourceStatus]?
        public init(generation: UInt64, entries: Int, durationUSec: UInt64, sources: [SourceStatus]? = nil) {
            self.generation = generation
            self.entries = entries
            self.durationUSec = durationUSec
            self.sources = sources
        }
    }

    public struct ReloadParameters: Codable, Sendable, Equatable {
        public enum Mode: String, Codable, Sendable {
            case full, delta
        }

        /// The sources to fetch; nil or empty: all (with `delta`: all that have a delta query).
        public var sources: [String]?
        /// nil: full.
        public var mode: Mode?
        public init(sources: [String]? = nil, mode: Mode? = nil) {
            self.sources = sources
            self.mode = mode
        }
    }

    public struct MetricsReply: Codable, Sendable, Equatable {
        public var text: String
        public init(text: String) { self.text = text }
    }

    public struct CancelReloadReply: Codable, Sendable, Equatable {
        public var cancelled: Bool
        public var generation: UInt64
        public init(cancelled: Bool, generation: UInt64) {
            self.cancelled = cancelled
            self.generation = generation
        }
    }
}
