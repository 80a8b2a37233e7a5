// bench-train: TiMiRec training speed (issue 11).
//
//   swift run -c release bench-train [--data DIR] [--runs 3] [--only ml|beauty] [--reference]
//       whole epochs of both stages, 1 and 2 threads, medians; with --reference (and REF_SRC,
//       REF_PY set) the reference's epochs run interleaved with ours, ML-100K only.
//   swift run -c release bench-train --profile [--data DIR] [--only ml|beauty] [--batch 256]
//       one step of each stage, op by op (forward, backward, Adam) with GFLOP/s against sgemm.
//   swift run -c release bench-train --steps 30 [--data DIR] [--only …]
//       the older step-throughput table (1 BLAS thread, 2 BLAS threads, batch split).
// See benchmarks/README.md, "bench-train".
import Foundation
import SeqRec
import Tensor

AllocatorTuning.keepFreedMemory()
let options = Options()
printMachine()
if options.flag("--profile") {
  runProfile(options)
} else if options.value("--steps") != nil {
  runSteps(options)
} else {
  try runEpochs(options)
}
print(String(format: "peak RSS %.0f MB; load average at the end %@", peakRSSMegabytes(), loadAverage()))
