import ArgumentParser
import Foundation
import NameIndexClient
import NameIndexProtocol

/// `namectl annotate NAMESPACE --key-column N`
struct Annotate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a table from standard input to standard output with each key's name added.",
        discussion: """
            Reads TSV or CSV records from standard input, looks up the key in column N of each \
            in NAMESPACE, and writes every record back as it was with the name as a new column \
            right after column N. CSV quoting is kept both ways: fields are copied byte for byte, \
            quoted fields may hold commas and line breaks, and a name is quoted when it needs to \
            be (TSV cannot quote: tabs and line breaks in a name become spaces). Records are \
            looked up in batches of \(Annotate.batchRecords) over one connection and written as \
            each batch comes back, so any length of input goes through in bounded memory. A \
            record with fewer than N columns is copied unchanged, and counted on standard error \
            at the end (exit status 1).
            """)

    static let batchRecords = 10_000

    enum Missing: String, ExpressibleByArgument, CaseIterable {
        case keep, empty, drop
    }

    @ParentCommand var root: NameControl
    @OptionGroup var local: GlobalOptions
    var options: GlobalOptions { local.merged(with: root.global) }

    @Argument(help: "The namespace the keys are looked up in.") var namespace: String

    @Option(name: .customLong("key-column"), help: "The column (from 1) that holds the key.")
    var keyColumn: Int

    @Option(help: "The table's format: tsv or csv.") var format: TableRecords.Format = .tsv

    @Option(help: "A key with no name: 'empty' adds an empty name, 'keep' adds the key itself as its name, 'drop' leaves the record out.")
    var missing: Missing = .empty

    @Flag(help: "The first record is a header: it gets the column name NAMESPACE_name.")
    var header = false

    func validate() throws {
        guard keyColumn >= 1 else { throw ValidationError("--key-column counts from 1.") }
        if options.json { throw ValidationError("annotate writes a table, not --json.") }
    }

    func run() async throws {
        var short = 0
        try await runReportingErrors {
            try await options.client.withSession { session in
                var reader = TableRecords(format: format)
                var batch: [TableRecords.Record] = []
                var batchBytes = 0
                var headerPending = header
                let output = FileHandle.standardOutput
                func flush() async throws {
                    guard !batch.isEmpty else { return }
                    var out: [UInt8] = []
                    var start = 0
                    if headerPending, let first = batch.first {
                        headerPending = false
                        out += reader.render(first, inserting: "\(namespace)_name", after: keyColumn - 1)
                        start = 1
                    }
                    let records = batch[start...]
                    let keys = records.map { reader.value($0, field: keyColumn - 1) }
                    let looked = keys.compactMap { $0 }
                    let names = looked.isEmpty ? [] : try await session.lookup(namespace: namespace, keys: looked).names
                    var next = 0
                    for (record, key) in zip(records, keys) {
                        guard let key else {
                            short += 1
                            out += record.bytes + record.end
                            continue
                        }
                        let name = names[next]
                        next += 1
                        switch (name, missing) {
                        case (let name?, _): out += reader.render(record, inserting: name, after: keyColumn - 1)
                        case (nil, .empty): out += reader.render(record, inserting: "", after: keyColumn - 1)
                        case (nil, .keep): out += reader.render(record, inserting: key, after: keyColumn - 1)
                        case (nil, .drop): break
                        }
                    }
                    output.write(Data(out))
                    batch.removeAll(keepingCapacity: true)
                    batchBytes = 0
                }
                let input = FileHandle.standardInput
                while true {
                    let chunk = input.readData(ofLength: 1 << 16)
                    if chunk.isEmpty { break }
                    let records: [TableRecords.Record]
                    do {
                        records = try reader.feed(chunk)
                    } catch let error as TableRecords.TooLong {
                        try await flush()
                        printError("namectl: standard input: \(error); stopped there.")
                        throw ExitCode.failure
                    }
                    for record in records {
                        batch.append(record)
                        batchBytes += record.bytes.count
                        // A batch is bounded in bytes too, so that a call stays well inside a message.
                        if batch.count >= Self.batchRecords || batchBytes >= 1 << 20 { try await flush() }
                    }
                }
                if let last = reader.finish() { batch.append(last) }
                try await flush()
            }
        }
        if short > 0 {
            printError("namectl: \(HumanFormat.count(short, "record")) had no column \(keyColumn); copied unchanged.")
            throw ExitCode.failure
        }
    }
}

extension TableRecords.Format: ExpressibleByArgument {}
