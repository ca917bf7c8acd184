import Foundation

/// TOML text of a value, for `--check-config`.
enum TOMLText {
    static func string(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += String(format: "\\u%04X", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    static func array(_ values: [String]) -> String { "[" + values.map(string).joined(separator: ", ") + "]" }

    static func timeSpan(_ value: Duration) -> String { string(TimeSpan.format(value)) }
}
