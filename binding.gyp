{
  "targets": [
    {
      "target_name": "absync_native",
      "sources": ["native/scan.c"],
      "cflags": ["-O2", "-std=gnu11", "-Wall", "-Wextra"]
    }
  ]
}
