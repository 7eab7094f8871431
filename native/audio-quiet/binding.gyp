{
  "targets": [
    {
      "target_name": "audio_quiet",
      "sources": ["audio_quiet.c"],
      "libraries": ["-ldl"]
    }
  ]
}
