import NameIndexCore

/// The formats a `file` source reads.
public enum FileFormat: String, Sendable, CaseIterable {
    case tsv, csv, ndjson
}

/// The parser for one file: a ``DelimitedParser`` or an ``NDJSONParser``.
enum FileParser {
    case delimited(DelimitedParser)
    case ndjson(NDJSONParser)

    mutating func feed(_ chunk: UnsafeRawBufferPointer, into batch: inout RowBatch) throws {
        switch self {
        case .delimited(var parser):
            defer { self = .delimited(parser) }
            try parser.feed(chunk, into: &batch)
        case .ndjson(var parser):
            parser.feed(chunk, into: &batch)
            self = .ndjson(parser)
        }
    }

    mutating func finish(into batch: inout RowBatch) throws {
        switch self {
        case .delimited(var parser):
            defer { self = .delimited(parser) }
            try parser.finish(into: &batch)
        case .ndjson(var parser):
            parser.finish(into: &batch)
            self = .ndjson(parser)
        }
    }
}
