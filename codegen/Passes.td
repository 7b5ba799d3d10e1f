//===- Passes.td - code generation passes of nnc -----------*- tablegen -*-===//
#ifndef NNC_CODEGEN_PASSES_TD
#define NNC_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def LowerToLinalg : Pass<"nnc-lower-to-linalg", "mlir::func::FuncOp"> {
  let summary = "lowers nnc ops to linalg, tensor, arith and math";
  let description = [{
    Each nnc op becomes named linalg ops where they exist (matmul,
    batch_matmul, conv_2d_nhwc_hwcf, pooling_nhwc_max/sum, transpose) and
    linalg.generic elsewhere, on tensors. Broadcasting becomes indexing maps;
    the batch dimension's size is read with tensor.dim. Inference semantics
    for batchnorm (running statistics); dropout must be gone before this
    pass (nnc-build-inference removes it).
  }];
  let options = [
    Option<"inputGradByTaps", "input-grad-by-taps", "bool",
           /*default=*/"false",
           "conv2d_input_grad where dy is much smaller than dx (a stride > 1, "
           "or dx at least twice dy's positions) as Y = dy W^T and each "
           "tap's slice of Y added to dx, image by image in an scf.forall "
           "(the CPU pipeline's choice; the GPU mapping takes the dilated "
           "convolution)">
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect"
  ];
}

def RoutePoolGradients : Pass<"nnc-route-pool-gradients", "mlir::func::FuncOp"> {
  let summary = "a pooled convolution's input and filter gradients at the pooling's winners only";
  let description = [{
    conv2d -> [relu] -> maxpool2d with windows that tile the input: the
    gradient of the convolution's output is nonzero only at each window's
    first maximum. Where every reader of that gradient is the
    convolution's filter gradient, its input gradient or its bias
    gradient (a sum over N, H, W), they are computed from the pooled
    gradient directly: for each window and channel with a nonzero
    gradient, a row update of KW * C contiguous elements per filter row
    (the filter gradient in thread-private parts, a channel's rows in
    registers across an image's windows; the input gradient image by
    image, each window's patch in registers across its channels), the
    routed windows and channels taken from bit masks (one loop over the
    set bits, no branch per element), instead of dense convolutions of a
    gradient that is mostly zeros. Runs before
    nnc-lower-to-linalg, on the CPU at -O1 and above; rows of KW * C < 16
    are left dense.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect"
  ];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", /*default=*/"512",
           "the target's vector register width in bits (the filter and "
           "input gradients' accumulators are registers of it)">
  ];
}

def WinogradConv : Pass<"nnc-winograd-conv", "mlir::func::FuncOp"> {
  let summary = "3 x 3 stride-1 convolutions as Winograd F(2 x 2, 3 x 3)";
  let description = [{
    nnc.conv2d with a 3 x 3 filter, stride 1, at least 16 input and output
    channels and a transformed filter of at most 512 KiB becomes loops
    over rows of 2 x 2 output tiles (the batch in parallel parts, image by
    image): each tile's 4 x 4 inputs transformed (B^T d B), 16 matmuls over the input
    channels with the transformed filter (G g G^T) in register tiles, and
    the output transform (A^T m A), which also adds the bias and applies
    relu when the convolution's only reader is a bias add and its only
    reader a relu. 16 multiply-adds for 4 outputs instead of 36.
    nnc.conv2d_input_grad of such a convolution becomes the same loops
    over dy padded by 2 - padding, with the filter transposed to
    [3, 3, F, C] and rotated by 180 degrees in its transform, where the
    tiles of dx take at most 0.8 of the products of the direct forms
    (9 per element of dy). Runs before nnc-lower-to-linalg, on the CPU at
    -O1 and above.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::tensor::TensorDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::bufferization::BufferizationDialect"
  ];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", /*default=*/"512",
           "the target's vector register width in bits (the matmuls' "
           "register tiles are vectors of it)">,
    Option<"maxTile", "max-tile", "int64_t", /*default=*/"4",
           "the largest output tile: 4 (F(4 x 4, 3 x 3) where it pays) "
           "or 2 (F(2 x 2, 3 x 3) only)">
  ];
}

def FuseElementwise : Pass<"nnc-fuse-elementwise", "mlir::func::FuncOp"> {
  let summary = "linalg-fuse-elementwise-ops that keeps named ops named";
  let description = [{
    Fuses elementwise linalg.generic ops and folds reshapes into them, as
    upstream's linalg-fuse-elementwise-ops does, except that a reshape next
    to a named op (matmul, convolution, pooling) is left alone: folding it
    would make the named op a linalg.generic, which nnc-tile-and-vectorize
    does not tile as a matmul or a convolution.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::affine::AffineDialect"];
}

def TileAndVectorize : Pass<"nnc-tile-and-vectorize", "mlir::func::FuncOp"> {
  let summary = "tiles for threads and registers, fuses epilogues, vectorizes";
  let description = [{
    On linalg ops on tensors (after elementwise fusion):
    - A matmul and the elementwise op that consumes it (bias, activation)
      are tiled together: an `scf.forall` over output blocks of
      `block-m` x `tile-n` (the threads), in each an `scf.for` over rows of
      `tile-m` (peeled, so that full tiles have static shapes), and a loop
      over K in steps of up to `tile-k`: the epilogue runs on each register
      tile right after its last K step, with no extra pass over memory.
      Where B's rows are a multiple of 2 KiB apart (they alias in the
      caches), each block copies its K x `tile-n` panel of B into a buffer
      of its own before its full register tiles (blocks of up to 256
      rows). matmul(transpose(x), dy) becomes matmul_transpose_a(x, dy);
      where x's rows alias so, its forall is over rows of blocks, each
      copying its `tile-m`-wide strips of x once ([strips, K, tile-m])
      and then looping over its column blocks. In matmul(dy, transpose(W))
      each block transposes its own panel of W. The rows left below a full tile (batch % `tile-m`) go one at a
      time, after tiles of `tile-m`/2 and `tile-m`/4 rows where B holds
      32K elements or more (each row of B, from L2, then serves several).
    - Convolutions and pooling, with their epilogue, are tiled per output
      row (forall over batch and rows), then by `tile-m` output columns
      (peeled) and `tile-n` channels, the window one tap at a time so that
      they decompose into 1-D ops that vectorize. A convolution whose
      filter is over 256 KiB goes by blocks of 16 images and `tile-n`
      output channels (a forall), each looping over its images and rows:
      the block's slice of the filter stays in L2.
    - Other ops are tiled one sample at a time along the batch dimension
      (a forall if it is parallel, a loop if it is reduced). A sum over
      the batch is split in 4 parts of it: a forall over the parts, each
      a loop over its samples into its own partial result, then the
      partials added (the result does not depend on the thread count).
    Ops outside the register tiles (elementwise ops, reductions,
    optimizer updates, fills) whose static shape is larger than
    `vector-unroll` registers of `vector-bits` are tiled with `scf.for`
    (peeled) so that each tile is at most that size: no vector wider than
    a few registers reaches LLVM, whatever the tensor's size (a forall over
    the outer dim as well when the op is large and not already in a
    parallel loop).
    Each `scf.forall` made by tiling an op starts with an
    `nnc.parallel_work` hint: the op's work (its loop ranges multiplied,
    times 16 for elementwise and row-wise ops), which
    nnc-parallel-to-openmp weighs against the cost of a fork. A forall
    left with nothing but its hint (its work fused elsewhere) is erased.
    Every linalg op left with static shapes is then vectorized, and loop
    invariant vector reads and writes are hoisted out of the K loops so
    that accumulators stay in registers.
  }];
  let options = [
    Option<"tileM", "tile-m", "int64_t", /*default=*/"8",
           "Rows of a register tile">,
    Option<"tileN", "tile-n", "int64_t", /*default=*/"32",
           "Columns of a register tile (a multiple of the vector width)">,
    Option<"tileK", "tile-k", "int64_t", /*default=*/"4",
           "Reduction steps per inner iteration (unrolled)">,
    Option<"blockM", "block-m", "int64_t", /*default=*/"64",
           "Rows of a thread's block">,
    Option<"maxVectorElements", "max-vector-elements", "int64_t",
           /*default=*/"4096", "Largest static op vectorized whole">,
    Option<"vectorBits", "vector-bits", "int64_t", /*default=*/"512",
           "Width of the target's vector registers">,
    Option<"vectorUnroll", "vector-unroll", "int64_t", /*default=*/"4",
           "Registers per vector of an op outside register tiles">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::affine::AffineDialect",
                           "::nnc::NncDialect"];
}

def ParallelToOpenMP : Pass<"nnc-parallel-to-openmp", "mlir::ModuleOp"> {
  let summary = "scf.parallel to OpenMP threads with a static schedule of our own";
  let description = [{
    Each outermost `scf.parallel` without results (what `scf.forall`
    becomes) turns into one `omp.parallel` region whose threads split the
    linearized iteration space in contiguous chunks themselves
    (`omp_get_thread_num`, `omp_get_num_threads`), with no `omp.wsloop`:
    libomp's `__kmpc_for_static_init` formats a string on every call (a
    sixth of a batch-1 prediction) and its loop ends in a barrier of its
    own. The region has an `if` clause: a loop of one iteration runs on
    the calling thread without forking. Each iteration's body is in a
    `memref.alloca_scope`, so stack temporaries do not pile up. Nested
    `scf.parallel` ops become `scf.for` nests (the outer loop has the
    threads). Loops with results are left to `convert-scf-to-openmp`.
    A loop whose body starts with an `nnc.parallel_work` hint (put by
    nnc-tile-and-vectorize) forks only if that work is at least 2^18
    (multiply-adds; an element of elementwise work counts 16): a fork
    and join costs ~1-2 us, and batch-1 prediction forked for every layer
    (mlp_predict on 2 threads: 9.7 -> 5.6 us). The hints are erased.
  }];
  let dependentDialects = ["::mlir::omp::OpenMPDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect"];
}

def OutlineKernels : Pass<"nnc-outline-kernels", "mlir::ModuleOp"> {
  let summary = "outlines each loop nest into a kernel function, identical ones once";
  let description = [{
    After bufferization: every loop nest (an op with regions that is a
    loop or a linalg op) at the top level of a function becomes a call to
    a private `nnc_kernel_<n>` function whose arguments are the values it
    uses from outside (constants are cloned into it), and kernels that are
    identical (the same ops, types and attributes) are emitted once. So the
    forward that predict, eval_step and train_step all compute, the
    backward that gradients and train_step share, and layers of the same
    shape become one function each, called from each place: what reaches
    LLVM does not grow with the number of entry points. Kernels have
    internal linkage (the object emitter makes those that several
    functions call hidden symbols, so that they do not tie the callers
    into one part).
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

def LowerVectors : Pass<"nnc-lower-vectors", "mlir::func::FuncOp"> {
  let summary = "lowers vector contractions to FMAs and simplifies transfers";
  let description = [{
    Before convert-vector-to-llvm: vector.contract becomes outer products
    and those become vector.fma; transfers with permutation maps become
    plain transfers plus transposes or broadcasts; multi-reductions are
    lowered to elementwise ops along the inner dimension. Shapes that
    those lowerings would take apart lane by lane are rewritten first: a
    transfer_read of one element broadcast to a vector (a row's
    statistic) becomes a scalar load and a broadcast; a contraction that
    is one row's dot product becomes a multiply and a vector.reduction
    (reassociated: a tree); a multi_reduction along the inner dim of at
    most 16 rows becomes one vector.reduction per row; a shape_cast that
    only adds or drops leading unit dims becomes a broadcast or an
    extract; elementwise ops and transfers drop their unit dims.
  }];
  let dependentDialects = ["::mlir::vector::VectorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def ApproximateMath : Pass<"nnc-approximate-math"> {
  let summary = "f32 exp, log, tanh, erf, ... as vectorizable polynomials";
  let description = [{
    Rewrites f32 math ops (scalar or vector) into MLIR's polynomial
    approximations, so that vectorized loops stay vectorized instead of
    calling libm once per lane, and GPU kernels need no libdevice. f64 ops
    are left to libm (libdevice on the GPU). Runs on any op (func.func,
    gpu.module). With `gpu`, for kernels: powf is first expanded to exp and
    log, and floor, ceil, fma, abs, sqrt and copysign become the single
    PTX instructions they are (inline assembly), so that f32 kernels call
    no libdevice function.
  }];
  let options = [
    Option<"gpu", "gpu", "bool", /*default=*/"false",
           "For NVPTX: expand powf; floor, fma, abs, sqrt... as PTX">,
  ];
  let dependentDialects = ["::mlir::math::MathDialect", "::mlir::LLVM::LLVMDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::vector::VectorDialect"];
}

def InPlaceUpdates : Pass<"nnc-in-place-updates", "mlir::ModuleOp"> {
  let summary = "turns updated-variable results into in-place writes";
  let description = [{
    Runs on bufferized IR, before buffer-results-to-out-params. A result of
    an entry point tagged `nnc.update = "<var>"` is the new value of the
    argument tagged `nnc.variable = "<var>"`. When bufferization already
    wrote it into that argument's buffer (the optimizer updates are
    destination-passing on the parameters and their slots), the result is
    simply dropped: no copy. Otherwise (e.g. batchnorm's running statistics)
    it is copied into the argument at the end of the function, after every
    read, and dropped. Entry points then return only their other results
    (loss, metrics...), and the caller's variable buffers hold the new
    values.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def AbiWrappers : Pass<"nnc-abi-wrappers", "mlir::ModuleOp"> {
  let summary = "gives each entry point the C signature (int64 batch, void **)";
  let description = [{
    Runs on bufferized IR. Each function tagged `nnc.entry` is renamed
    `<name>_impl` (private) and a function `<name>(i64 batch, ptr buffers)`
    takes its place: it reads one pointer per memref argument from
    `buffers`, builds the memref (row-major, the batch dim's size from
    `batch`) and calls the implementation. The model's description
    (`nnc.description`) becomes the constant string `<model>_description`.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::func::FuncDialect"];
}

def ModelDef : Pass<"nnc-model-def", "mlir::ModuleOp"> {
  let summary = "emits the <model>_def table that the runtime loads";
  let description = [{
    Runs on the LLVM dialect. Emits the constant
    `<model>_def = {abi version, description, predict, train_step,
    eval_step, gradients}` (null for entry points the model lacks), the C struct
    `nnc_model_def` of runtime/nnc_runtime.h. With `program`, also the
    pointer `nnc_program_model` that the executable's main() starts from.
  }];
  let options = [
    Option<"program", "program", "bool", /*default=*/"false",
           "Also emit nnc_program_model">,
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

//===----------------------------------------------------------------------===//
// GPU code generation (codegen/GpuPipeline.cpp)
//===----------------------------------------------------------------------===//

def GpuPrepare : Pass<"nnc-gpu-prepare", "mlir::func::FuncOp"> {
  let summary = "makes bufferized linalg ops one kernel each, parallel dims first";
  let description = [{
    Runs on bufferized IR, before convert-linalg-to-parallel-loops. Every
    memref.copy becomes linalg.copy; every linalg op is generalized and its
    loops interchanged so that parallel dimensions come before reductions
    (each op then becomes one scf.parallel, i.e. one kernel, with the
    reductions as sequential loops in each thread); an op without parallel
    dimensions is wrapped in a one-iteration scf.parallel, so that it too
    runs on the device. Each op's location is wrapped in a NameLoc of its
    op name, which nnc-gpu-name-kernels puts into the kernel's name.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect"];
}

def GpuSinkScalars : Pass<"nnc-gpu-sink-scalars", "mlir::func::FuncOp"> {
  let summary = "computes scalars from lr/step/key inside the kernels that use them";
  let description = [{
    Runs on gpu.launch ops (before outlining). A value used by a kernel
    that the host computes from the read-only 0-d arguments (`nnc.lr`,
    `nnc.step`, `nnc.key`) through pure ops (Adam's bias corrections) is
    recomputed at the top of the kernel instead, so that host code never
    reads device memory and the step runs without a host synchronization.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def GpuDeviceMemory : Pass<"nnc-gpu-device-memory", "mlir::func::FuncOp"> {
  let summary = "host-side memref.alloc/dealloc to gpu.alloc/dealloc";
  let description = [{
    Runs after convert-parallel-loops-to-gpu: the temporaries of a host
    function are read and written only by kernels, so they are allocated
    in device memory (gpu.alloc, made asynchronous by gpu-async-region).
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def GpuNameKernels : Pass<"nnc-gpu-name-kernels", "mlir::ModuleOp"> {
  let summary = "names outlined kernels <entry>_k<n>_<op>_l<line>";
  let description = [{
    Runs after gpu-kernel-outlining. Renames each kernel (and its
    gpu.module) after the entry point that launches it, a counter, the op
    it came from and its source line, so that a CUDA error at run time names
    the op and line of the model (runtime/Cuda.cpp reads them back).
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

#endif // NNC_CODEGEN_PASSES_TD
