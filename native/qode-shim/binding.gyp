{
  "targets": [
    {
      "target_name": "qode_shim",
      "sources": ["qode_shim.cc"],
      "cflags_cc": ["-std=c++17", "-fvisibility=default"]
    }
  ]
}
