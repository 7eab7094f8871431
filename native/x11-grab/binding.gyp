{
  "targets": [
    {
      "target_name": "x11_grab",
      "sources": ["x11_grab.cc"],
      "cflags_cc": ["-std=c++17", "-O2"],
      "libraries": ["-lX11", "-lXext"]
    }
  ]
}
