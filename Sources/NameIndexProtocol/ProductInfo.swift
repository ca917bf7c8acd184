/// What the daemon says about itself in `GetInfo` and `--version`.
public enum ProductInfo {
    public static let vendor = "nameindex"
    public static let product = "nameindexd"
    public static let version = "0.1.0"
    public static let url = "man:nameindexd(8)"
}
