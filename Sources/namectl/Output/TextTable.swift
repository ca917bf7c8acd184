/// Columns of text padded to line up, with an optional header line.
struct TextTable {
    let columns: [String]
    let rightAligned: Set<Int>
    private var rows: [[String]] = []

    init(columns: [String], rightAligned: Set<Int> = []) {
        self.columns = columns
        self.rightAligned = rightAligned
    }

    mutating func append(_ row: [String]) { rows.append(row) }

    func render(legend: Bool) -> String {
        let all = legend ? [columns] + rows : rows
        guard !all.isEmpty else { return "" }
        var widths = [Int](repeating: 0, count: columns.count)
        for row in all {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        var out = ""
        for row in all {
            var cells: [String] = []
            for (i, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                let last = i == row.count - 1
                cells.append(rightAligned.contains(i) ? pad + cell : (last ? cell : cell + pad))
            }
            out += cells.joined(separator: "  ") + "\n"
        }
        return out
    }
}
