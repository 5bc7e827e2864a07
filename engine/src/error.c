/* Error values and messages. */
#include "internal.h"

#include <stdio.h>

const char *ys_strerror(int code)
{
    switch (code) {
    case YS_OK: return "success";
    case YS_ENOMEM: return "out of memory";
    case YS_EIO: return "input/output error";
    case YS_ELEXICON: return "invalid lexicon";
    case YS_ECOMPILE: return "pattern compilation failed";
    case YS_EDB: return "invalid compiled database";
    case YS_EZSTD: return "corrupt compressed stream";
    case YS_EFORMAT: return "malformed input";
    case YS_EINVAL: return "invalid argument";
    case YS_EPIPE: return "output closed";
    case YS_ESCAN: return "scan failed";
    case YS_EINTR: return "interrupted";
    case YS_ETHREAD: return "cannot start a thread";
    default: return "unknown error";
    }
}

const char *ys_error_message(const ys_error *err)
{
    if (!err)
        return "unknown error";
    return err->message[0] ? err->message : ys_strerror(err->code);
}

int ys_fail(ys_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}
