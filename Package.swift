// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "nameindex",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "nameindexd", targets: ["nameindexd"]),
        .executable(name: "namectl", targets: ["namectl"]),
        .library(name: "NameIndexClient", targets: ["NameIndexClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        .target(name: "Systemd", dependencies: ["CSystemd"]),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CPostgres",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(name: "CNameIndexShims"),
        .target(name: "NameIndexCore", dependencies: ["CNameIndexShims"]),
        .target(
            name: "NameIndexSources",
            dependencies: [
                "NameIndexCore", "CNameIndexShims", "CSQLite", "CPostgres",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "NameIndexProtocol",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ]
        ),
        .target(
            name: "NameIndexServer",
            dependencies: [
                "NameIndexCore", "NameIndexSources", "NameIndexProtocol", "NameIndexClient", "Systemd",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "NameIndexClient",
            dependencies: [
                "NameIndexCore",  // the error shape (NameIndexError)
                "NameIndexProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "nameindexd",
            dependencies: [
                "NameIndexServer", "Systemd",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "namectl",
            dependencies: [
                "NameIndexClient", "NameIndexProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "nameindex-bench",
            dependencies: [
                "NameIndexCore", "NameIndexServer", "NameIndexClient", "NameIndexProtocol", "NameIndexSources", "Systemd",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "bench/nameindex-bench"
        ),
        // Fuzz targets (scripts/fuzz): with -DFUZZING and --sanitize=fuzzer, libFuzzer entry
        // points; in an ordinary build, programs that replay a corpus (the suite runs them).
        .target(name: "FuzzSupport", path: "fuzz/FuzzSupport"),
        .executableTarget(
            name: "fuzz-resp",
            dependencies: [
                "FuzzSupport", "NameIndexServer", "NameIndexCore", "NameIndexProtocol",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            path: "fuzz/resp"),
        .executableTarget(
            name: "fuzz-varlink",
            dependencies: [
                "FuzzSupport", "NameIndexServer", "NameIndexCore", "NameIndexProtocol",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            path: "fuzz/varlink"),
        .executableTarget(name: "fuzz-rows", dependencies: ["FuzzSupport", "NameIndexSources", "NameIndexCore"], path: "fuzz/rows"),
        .executableTarget(name: "fuzz-config", dependencies: ["FuzzSupport", "NameIndexServer"], path: "fuzz/config"),
        .executableTarget(name: "fuzz-snapshot", dependencies: ["FuzzSupport", "NameIndexCore"], path: "fuzz/snapshot"),
        .executableTarget(name: "fuzz-pgcopy", dependencies: ["FuzzSupport", "NameIndexSources", "NameIndexCore"], path: "fuzz/pgcopy"),
        .testTarget(name: "NameIndexCoreTests", dependencies: ["NameIndexCore"]),
        .testTarget(name: "NameIndexSourcesTests", dependencies: ["NameIndexSources", "NameIndexCore", "CSQLite"]),
        .testTarget(
            name: "NameIndexProtocolTests",
            dependencies: [
                "NameIndexProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "NameIndexServerTests", dependencies: ["NameIndexServer", "NameIndexSources", "NameIndexCore", "NameIndexProtocol", "Systemd", .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "NameIndexClient", "NameIndexProtocol", "NameIndexCore", "NameIndexSources", "Systemd", "nameindexd", "namectl",
            ],
            exclude: ["Scripts"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
