/* What the addon's parts share: errno names as Node spells them. */
#include <errno.h>
#include "common.h"

const char *absync_errno_code(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case ENOTDIR: return "ENOTDIR";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EIO: return "EIO";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOMEM: return "ENOMEM";
    case EOVERFLOW: return "EOVERFLOW";
    case EINVAL: return "EINVAL";
    case EBUSY: return "EBUSY";
    case ESTALE: return "ESTALE";
    case EBADF: return "EBADF";
    case ENOSPC: return "ENOSPC";
    case EDQUOT: return "EDQUOT";
    case EROFS: return "EROFS";
    case EEXIST: return "EEXIST";
    case EISDIR: return "EISDIR";
    case EXDEV: return "EXDEV";
    case EFBIG: return "EFBIG";
    case EINTR: return "EINTR";
    default: return "EUNKNOWN";
  }
}
