{
  "variables": {
    "tg_sleef%": "<!(node -p \"process.env.TAPEGRAD_NATIVE_SLEEF === '1' ? 'yes' : 'no'\")",
    "tg_dnnl%": "<!(node -p \"process.env.TAPEGRAD_NATIVE_DNNL === '1' ? 'yes' : 'no'\")",
    "tg_include%": "<!(node -p \"process.env.TAPEGRAD_NATIVE_INCLUDE || ''\")",
    "tg_libdir%": "<!(node -p \"process.env.TAPEGRAD_NATIVE_LIBDIR || ''\")"
  },
  "targets": [
    {
      "target_name": "tapegrad_native",
      "sources": [
        "native/addon.cc",
        "native/kernels.cc",
        "native/pool.cc",
        "native/elementwise.cc",
        "native/reduce.cc",
        "native/movement.cc",
        "native/window.cc",
        "native/matmul.cc",
        "native/scan.cc",
        "native/linalg.cc",
        "native/fused.cc"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++14"],
      "cflags_cc": ["-std=gnu++17", "-O3", "-march=native", "-ffp-contract=off", "-fno-math-errno", "-fexceptions", "-Wall", "-Wno-unused-function"],
      "libraries": ["-lopenblas", "-lpthread"],
      "conditions": [
        ["tg_sleef=='yes'", { "defines": ["TG_SLEEF"], "libraries": ["-lsleef"] }],
        ["tg_dnnl=='yes'", { "defines": ["TG_DNNL"], "cflags_cc": ["-fopenmp"], "libraries": ["-ldnnl", "-fopenmp"] }],
        ["tg_include!=''", { "include_dirs": ["<(tg_include)"] }],
        ["tg_libdir!=''", { "libraries": ["-L<(tg_libdir)", "-Wl,-rpath,<(tg_libdir)"] }],
        ["OS=='mac'", {
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "OTHER_CPLUSPLUSFLAGS": ["-std=gnu++17", "-O3", "-march=native", "-ffp-contract=off", "-fno-math-errno"]
          }
        }]
      ]
    }
  ]
}
