import Foundation
import NameIndexProtocol

/// A local timestamp for people: `2026-11-28 18:40:12 UTC`.
func formatTimestamp(microseconds: UInt64) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.dateFormat = "yyyy-MM-dd HH:mm:ss zzz"
    return formatter.string(from: Date(timeIntervalSince1970: Double(microseconds) / 1_000_000))
}
