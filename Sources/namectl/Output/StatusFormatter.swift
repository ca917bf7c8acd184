import Foundation
import NameIndexProtocol

/// Renders a `Status` reply for people, in the manner of `systemctl status`.
struct StatusFormatter {
    /// The time to measure "ago" from, in microseconds since the epoch.
    let now: UInt64
    let legend: Bool
    /// `--verbose`: the skipped rows each source keeps too.
    var verbose = false

    func render(_ status: IndexInterface.StatusReply, socket: String) -> String {
        var out = ""
        let mark = status.state == .failed ? "×" : "●"
        out += "\(mark) nameindexd - \(status.state.rawValue)\n"
        var fields: [(String, String)] = []
        fields.append(("State", describeState(status)))
        if let loaded = status.loadedAtUSec {
            var line = "\(status.generation), loaded \(HumanFormat.timestamp(microseconds: loaded)) (\(formatAgo(loaded)))"
            if let duration = status.loadDurationUSec { line += " in \(HumanFormat.duration(microseconds: duration))" }
            fields.append(("Generation", line))
        }
        fields.append(
            ("Entries", "\(HumanFormat.count(status.entries)) in \(status.namespaces.count) namespace\(status.namespaces.count == 1 ? "" : "s")"))
        fields.append(("Memory", "\(HumanFormat.bytes(status.indexBytes)) (index)"))
        // The lookup socket's counts: `user 1,204 (98% hits), product 0`.
        let counted = status.namespaces.filter { $0.lookups != nil }
        if !counted.isEmpty {
            let text = counted.map { n -> String in
                let lookups = n.lookups ?? 0
                guard lookups > 0 else { return "\(n.name) 0" }
                let percent = Double(n.hits ?? 0) * 100 / Double(lookups)
                return "\(n.name) \(HumanFormat.count(lookups)) (\(HumanFormat.count(n.hits ?? 0)) hits, \(String(format: "%.1f", percent))%)"
            }.joined(separator: ", ")
            fields.append(("Lookups", text))
        }
        if let changes = status.changes, let from = status.changesFrom {
            let text = changes.map { c in
                c.added + c.removed + c.changed == 0
                    ? "\(c.namespace) unchanged"
                    : "\(c.namespace) +\(HumanFormat.count(c.added)) −\(HumanFormat.count(c.removed)) ~\(HumanFormat.count(c.changed))"
            }.joined(separator: ", ")
            fields.append(("Changes", "since generation \(from): \(text)"))
        }
        if let snapshot = status.snapshot {
            fields.append(
                ("Snapshot",
                 "generation \(snapshot.generation) from \(HumanFormat.timestamp(microseconds: snapshot.createdAtUSec)) (\(formatAgo(snapshot.createdAtUSec))), \(HumanFormat.bytes(snapshot.bytes)), \(snapshot.path)"))
        }
        if let error = status.snapshotError { fields.append(("Snapshot", error)) }
        fields.append(("Started", "\(HumanFormat.timestamp(microseconds: status.startedAtUSec)) (\(formatAgo(status.startedAtUSec)))"))
        fields.append(("Version", status.version))
        fields.append(("Socket", socket))
        let width = fields.map(\.0.count).max() ?? 0
        for (label, value) in fields {
            out += String(repeating: " ", count: width - label.count + 2) + "\(label): \(value)\n"
        }
        out += "\n"
        var table = TextTable(
            columns: ["SOURCE", "NAMESPACE", "KIND", "STATE", "ROWS", "BYTES", "SKIPPED", "LAST SUCCESS", "NEXT RELOAD", "LAST ERROR"],
            rightAligned: [4, 5, 6])
        for source in status.sources {
            let skipped = source.skippedNull + source.skippedEmpty + source.skippedInvalidUTF8 + source.skippedMalformed + source.skippedTooLong
            table.append([
                source.name, source.namespace, source.kind, source.state.displayName,
                HumanFormat.count(source.rows), source.bytes.map(HumanFormat.bytes) ?? "-", HumanFormat.count(skipped),
                source.lastSuccessUSec.map(formatAgo) ?? "never",
                source.nextReloadUSec.map { "\(formatIn($0)) (\(source.nextReloadReason ?? "scheduled"))" } ?? "-",
                source.lastError.map { error in source.lastErrorUSec.map { "\(formatAgo($0)): \(error)" } ?? error } ?? "-",
            ])
        }
        out += table.render(legend: legend)
        let fetches = status.sources.compactMap(fetchLine)
        if !fetches.isEmpty {
            out += "\n" + fetches.joined(separator: "\n") + "\n"
        }
        let deltas = status.sources.compactMap(deltaLines)
        if !deltas.isEmpty {
            out += "\n" + deltas.joined(separator: "\n") + "\n"
        }
        let checks = status.sources.compactMap(checkLine)
        if !checks.isEmpty {
            out += "\n" + checks.joined(separator: "\n") + "\n"
        }
        let details = status.sources.compactMap(skipDetail)
        if !details.isEmpty {
            out += "\n" + details.joined(separator: "\n") + "\n"
        }
        if verbose {
            for source in status.sources {
                guard let rows = source.skippedRows, !rows.isEmpty else { continue }
                out += "\n\(source.name): skipped in its last load (the first \(rows.count)):\n"
                out += Self.skippedTable(rows, legend: legend).split(separator: "\n", omittingEmptySubsequences: false)
                    .map { $0.isEmpty ? "" : "  " + $0 }.joined(separator: "\n")
            }
        }
        return out
    }

    /// The sample of skipped rows as a table: reason, where, key and the row's bytes.
    static func skippedTable(_ rows: [IndexInterface.SkippedRow], legend: Bool) -> String {
        var table = TextTable(columns: ["REASON", "LOCATION", "KEY", "ROW"])
        for row in rows {
            let raw = row.raw + (row.rawBytes > IndexInterface.SkippedRow.maximumRawBytes ? "… (\(HumanFormat.bytes(row.rawBytes)))" : "")
            table.append([row.reason, row.location, row.key ?? "-", raw])
        }
        return table.render(legend: legend)
    }

    private func describeState(_ status: IndexInterface.StatusReply) -> String {
        switch status.state {
        case .starting: "starting"
        case .loading: "loading (first load, nothing served yet)"
        case .serving where status.servingSnapshot:
            "serving the snapshot of generation \(status.generation) (\(status.loadedAtUSec.map(formatAgo) ?? "of unknown age"))"
        case .reloading where status.servingSnapshot:
            "reloading (the snapshot of generation \(status.generation) keeps serving)"
        case .serving: "serving"
        case .reloading: "reloading (generation \(status.generation) keeps serving)"
        case .failed: "failed (no source could be loaded)"
        }
    }

    /// A line for a fetch that is under way (not for finished ones: the table says those).
    private func fetchLine(_ source: IndexInterface.SourceStatus) -> String? {
        guard let fetch = source.fetch, fetch.state != .done, fetch.state != .failed else { return nil }
        let seconds = max(Double(fetch.elapsedUSec) / 1_000_000, 0.001)
        var line = "\(source.name): \(fetch.state.rawValue)"
        if fetch.attempt > 1 { line += " (attempt \(fetch.attempt))" }
        if fetch.state == .running {
            line += ", \(HumanFormat.count(fetch.rows, "row")) (\(HumanFormat.bytes(fetch.bytes))) so far"
            line += ", \(HumanFormat.count(Int(Double(fetch.rows) / seconds))) rows/s"
            if let bar = ProgressBar.text(rows: fetch.rows, previousRows: source.rows, elapsedUSec: fetch.elapsedUSec) {
                line += " " + bar
            }
        }
        return line + ", \(HumanFormat.duration(microseconds: fetch.elapsedUSec, coarse: true))"
    }

    private func skipDetail(_ source: IndexInterface.SourceStatus) -> String? {
        var parts: [String] = []
        if source.skippedNull > 0 { parts.append(HumanFormat.count(source.skippedNull, "row") + " with a NULL key or name") }
        if source.skippedEmpty > 0 { parts.append(HumanFormat.count(source.skippedEmpty, "empty row")) }
        if source.skippedInvalidUTF8 > 0 { parts.append(HumanFormat.count(source.skippedInvalidUTF8, "row") + " with invalid UTF-8") }
        if source.skippedMalformed > 0 { parts.append(HumanFormat.count(source.skippedMalformed, "malformed row")) }
        if source.skippedTooLong > 0 { parts.append(HumanFormat.count(source.skippedTooLong, "row") + " over max_line_bytes") }
        if source.duplicates > 0 { parts.append(HumanFormat.count(source.duplicates, "duplicate key")) }
        if source.shadowed > 0 { parts.append(HumanFormat.count(source.shadowed, "key") + " shadowed by an earlier source") }
        guard !parts.isEmpty else { return nil }
        return "\(source.name): " + parts.joined(separator: ", ")
    }

    private func formatAgo(_ microseconds: UInt64) -> String { HumanFormat.ago(microseconds, now: now) }

    /// `users: last change check 2s ago: 8`, for sources with a change check.
    private func checkLine(_ source: IndexInterface.SourceStatus) -> String? {
        guard let at = source.lastCheckUSec else { return nil }
        if let error = source.lastCheckError { return "\(source.name): last change check \(formatAgo(at)) failed: \(error)" }
        let value = source.lastCheckValue.map { $0.count > 60 ? String($0.prefix(57)) + "…" : $0 } ?? ""
        return "\(source.name): last change check \(formatAgo(at)): \(value)"
    }

    /// A source's deltas: its watermark, last delta, overlay, next delta, last compaction, and
    /// what the last full reload found the deltas had missed.
    private func deltaLines(_ source: IndexInterface.SourceStatus) -> String? {
        guard let delta = source.delta else { return nil }
        var parts = ["watermark \(delta.watermark ?? "none")"]
        if let at = delta.lastUSec {
            if let error = delta.lastError {
                parts.append("last delta \(formatAgo(delta.lastErrorUSec ?? at)) failed: \(error)")
            } else {
                var text = "last delta \(formatAgo(at)): \(HumanFormat.count(delta.lastUpserts ?? 0, "upsert")), "
                    + "\(HumanFormat.count(delta.lastTombstones ?? 0, "tombstone")), \(HumanFormat.count(delta.lastChanged ?? 0, "key")) changed"
                if let duration = delta.lastDurationUSec { text += " in \(HumanFormat.duration(microseconds: duration))" }
                text += delta.lastGeneration.map { " (generation \($0))" } ?? " (no new generation)"
                parts.append(text)
            }
        } else {
            parts.append("no delta yet")
        }
        parts.append("\(HumanFormat.count(delta.applied, "delta")) since the last full load")
        parts.append("overlay \(HumanFormat.count(delta.overlayRows, "row")) (\(HumanFormat.bytes(delta.overlayBytes)))")
        if delta.running { parts.append("a delta is running") } else if delta.queued { parts.append("a delta is queued") } else if let next = delta.nextDeltaUSec { parts.append("next delta \(formatIn(next))") }
        if let at = delta.lastCompactionUSec {
            parts.append(
                "compacted \(formatAgo(at)) into \(HumanFormat.count(delta.lastCompactionRows ?? 0, "row"))"
                    + (delta.lastCompactionDurationUSec.map { " in \(HumanFormat.duration(microseconds: $0))" } ?? ""))
        }
        var lines = ["\(source.name): " + parts.joined(separator: "; ")]
        if let r = delta.reconciliation {
            var line = "\(source.name): full reload \(formatAgo(r.atUSec)): \(r.summary)"
            if !r.examples.isEmpty { line += " (e.g. \(r.examples.joined(separator: " ")))" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// `in 4min 12s`, or `now` when due.
    private func formatIn(_ microseconds: UInt64) -> String {
        microseconds <= now ? "now" : "in \(HumanFormat.duration(microseconds: microseconds - now))"
    }
}
