// swift-tools-version:6.0
// TiMiRec Explorer: train, evaluate and explore the TiMiRec multi-interest recommender.
// Layout and dependency direction: docs/ARCHITECTURE.md; the model: docs/MODEL.md.
import PackageDescription

let package = Package(
  name: "TiMiRecExplorer",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "timirec", targets: ["timirec"]),
    .library(name: "Tensor", targets: ["Tensor"]),
    .library(name: "SeqRec", targets: ["SeqRec"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
  ],
  targets: [
    // System libraries, each reached through one small shim header.
    .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "CNcurses", path: "Sources/CNcurses", providers: [.apt(["libncursesw5-dev"])]),
    .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),

    // renameat2(RENAME_EXCHANGE) for Tensor's AtomicWrite (Glibc's module does not declare it).
    .target(name: "CRenameExchange"),

    // The GRU gate loops compiled for AVX2 + FMA, chosen at run time when the CPU has them.
    .target(name: "CGateKernels"),

    .target(name: "Tensor", dependencies: ["CBLAS", "CRenameExchange", "CGateKernels"]),
    .target(name: "SeqRec", dependencies: ["Tensor", "CZlib"]),
    .target(name: "Explorer", dependencies: ["SeqRec", "CNcurses"]),
    // The bundled demo: the household simulator and its member-agreement report (no ncurses).
    .target(name: "Demo", dependencies: ["SeqRec"]),
    .executableTarget(
      name: "timirec",
      dependencies: [
        "SeqRec", "Explorer", "Demo",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // Benchmarks (run with `swift run -c release bench-<name>`; see benchmarks/README.md).
    .executableTarget(name: "bench-engine", dependencies: ["Tensor", "CBLAS"], path: "benchmarks/engine"),
    .executableTarget(name: "bench-data", dependencies: ["SeqRec"], path: "benchmarks/data"),
    .executableTarget(name: "bench-explore", dependencies: ["Explorer"], path: "benchmarks/explore"),
    .executableTarget(name: "bench-train", dependencies: ["SeqRec", "Tensor"], path: "benchmarks/train"),

    // Shared by the test targets (processes, the built binary, tmux, tolerances, a seeded
    // generator); a regular target so they can import it, used by tests only.
    .target(name: "TestSupport", dependencies: ["Tensor"], path: "Tests/TestSupport"),
    .testTarget(name: "TensorTests", dependencies: ["Tensor", "TestSupport"]),
    .testTarget(name: "SeqRecTests", dependencies: ["SeqRec", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "ExplorerTests", dependencies: ["Explorer", "TestSupport"], exclude: ["Snapshots"]),
    .testTarget(name: "DemoTests", dependencies: ["Demo", "TestSupport"]),
    .testTarget(name: "CLITests", dependencies: ["SeqRec", "TestSupport"]),

    // Fuzzing (Tests/Fuzz/run.sh; docs/INPUTS.md): one harness per input the program reads.
    // A normal build makes fuzz-readers a corpus replayer; run.sh rebuilds it with
    // -sanitize=fuzzer,address -DFUZZING into .build/fuzz. FuzzTests replays the committed
    // corpora and crash inputs in the normal suite.
    .target(name: "CFuzzDriver", path: "Tests/Fuzz/CFuzzDriver"),
    .target(name: "FuzzHarnesses", dependencies: ["SeqRec", "Tensor"], path: "Tests/Fuzz/Harnesses"),
    .executableTarget(name: "fuzz-readers", dependencies: ["FuzzHarnesses", "CFuzzDriver"], path: "Tests/Fuzz/Driver"),
    .testTarget(name: "FuzzTests", dependencies: ["FuzzHarnesses"], path: "Tests/Fuzz/ReplayTests"),
  ]
)
