{
  "targets": [
    {
      "target_name": "absync_native",
      "sources": ["native/addon.c", "native/common.c", "native/scan.c", "native/pair.c", "native/copy.c", "native/dirs.c", "native/remove.c", "native/links.c", "native/rename.c", "native/hash.c", "native/read.c"],
      "cflags": ["-O2", "-std=gnu11", "-Wall", "-Wextra"]
    }
  ]
}
