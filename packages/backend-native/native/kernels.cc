// The kernel table: one line per primitive, `X(name, "attribute names")`, naming the kernel
// function k_<name> (defined in one of the other .cc files) and the attributes, in the order the
// kernel reads them from Call::attrs. The JavaScript side builds the backend from this table
// (src/index.ts), so adding a kernel is writing k_<name> and adding its line here.
#include "tg.h"

#define TG_KERNELS(X)                                           \
  /* elementwise.cc */                                          \
  X(neg, "") X(abs, "") X(sign, "") X(exp, "") X(log, "")       \
  X(log1p, "") X(sqrt, "") X(sin, "") X(cos, "") X(tanh, "")    \
  X(sigmoid, "") X(relu, "") X(erf, "")                         \
  X(floor, "") X(ceil, "") X(round, "") X(trunc, "")            \
  X(asin, "") X(acos, "") X(atan, "") X(sinh, "") X(cosh, "")   \
  X(asinh, "") X(acosh, "") X(atanh, "") X(erfc, "")            \
  X(expm1, "") X(log2, "") X(log10, "")                         \
  X(cast, "dtype") X(copy, "")                                  \
  X(add, "") X(sub, "") X(mul, "") X(div, "") X(pow, "")        \
  X(atan2, "") X(hypot, "") X(fmod, "") X(remainder, "")        \
  X(maximum, "") X(minimum, "")                                 \
  X(eq, "") X(ne, "") X(lt, "") X(le, "") X(gt, "") X(ge, "")   \
  X(where, "")                                                  \
  /* reduce.cc */                                               \
  X(sum, "axes keepdims") X(prod, "axes keepdims")              \
  X(max, "axes keepdims") X(min, "axes keepdims")               \
  X(argmax, "axes keepdims") X(argmin, "axes keepdims")         \
  /* movement.cc */                                             \
  X(pad, "shape starts steps value") X(concat, "axis")          \
  X(gather, "axis") X(scatterAdd, "axis shape")                 \
  X(scatter, "axis reduce includeSelf")                         \
  /* window.cc */                                               \
  X(unfold2d, "kernel stride padding dilation padValue")        \
  X(fold2d, "kernel stride padding dilation outputSize")        \
  X(maxPool2dIndices, "kernel stride padding dilation")         \
  /* matmul.cc */                                               \
  X(matmul, "")                                                 \
  /* linalg.cc */                                               \
  X(solve, "") X(slogdet, "") X(cholesky, "") X(qr, "")         \
  X(eigh, "") X(svd, "computeUV")                               \
  /* scan.cc */                                                 \
  X(cumsum, "axis reverse") X(cumprod, "axis reverse")          \
  X(logcumsumexp, "axis reverse")                               \
  X(cumargmax, "axis") X(cumargmin, "axis")                     \
  X(argsort, "axis descending")                                 \
  /* fused.cc */                                                \
  X(softmax, "axis") X(logSoftmax, "axis")                      \
  X(softmaxBackward, "axis") X(logSoftmaxBackward, "axis")      \
  X(gelu, "tanh") X(geluBackward, "tanh")                       \
  X(layerNorm, "dims eps") X(layerNormBackward, "dims eps")    \
  X(axpy, "alpha") X(tanhBackward, "") X(sigmoidBackward, "")    \
  X(reluBackward, "")

namespace tg {

#define TG_DECLARE(name, attrs) void k_##name(Call&);
TG_KERNELS(TG_DECLARE)
#undef TG_DECLARE

const KernelEntry KERNELS[] = {
#define TG_ENTRY(name, attrs) {#name, k_##name, attrs},
    TG_KERNELS(TG_ENTRY)
#undef TG_ENTRY
};
const int KERNEL_COUNT = sizeof(KERNELS) / sizeof(KERNELS[0]);

}  // namespace tg
