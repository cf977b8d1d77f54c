# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
# cython: cdivision=False, infer_types=False
"""The profile stage's hot path, compiled: decode, profile update, co-occurrence, triggers.

A translation of the Python reference (decode._read_behavior, logic.apply_event,
ProfileEngine.apply/_update_co/on_behavior_batch, cooc.add_pairs/evict_weakest/
add_popularity) that gives exactly its results: the same float operations in the same
order (libm ``pow`` as Python's ``float ** float`` calls it), the same dict insertion
orders, the same evictions, the same exceptions at the same points. State stays plain
dicts, lists, str, int and float (the tables changelog them as JSON).

Where a value is not of the shape the fast code assumes (a profile recovered with odd
types, a timestamp beyond 2**53, an Avro value the reader cannot vouch for), the compiled
code hands that step, before it changed anything, to the Python reference, so odd input
costs speed, never a different answer. tests/unit/profiles/test_hot.py checks both agree.
"""

from cpython.dict cimport PyDict_GetItemWithError, PyDict_SetItem, PyDict_Next, PyDict_DelItem
from cpython.list cimport PyList_Append, PyList_Insert, PyList_GET_SIZE, PyList_GET_ITEM
from cpython.object cimport PyObject, PyObject_RichCompareBool, Py_LT, Py_LE, Py_EQ, Py_GE, Py_GT
from cpython.object cimport PyTypeObject
from cpython.ref cimport Py_INCREF
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.unicode cimport PyUnicode_DecodeUTF8, PyUnicode_Concat, PyUnicode_Substring
from cpython.unicode cimport PyUnicode_Contains
from cpython.long cimport PyLong_AsLongLongAndOverflow, PyLong_FromLongLong
from cpython.tuple cimport PyTuple_New
from cpython.float cimport PyFloat_AS_DOUBLE
from libc.string cimport memcpy, memset, strlen

import sys

from workers.envelope import Envelope
from workers.domain import Provenance
from workers.errors import BadInput
from workers.profiles import cooc as _cooc
from workers.profiles import decode as _decode
from workers.profiles import logic as _logic
from workers.profiles import triggers as _triggers
from workers.profiles.records import BEHAVIOR_TYPES, Behavior, ProductView, new_co_entry
from workers.profiles.records import new_profile
from workers.serde import PlainAvroCodec

cdef extern from "Python.h":
    ctypedef struct PyTupleObject
    PyObject* PyTuple_GET_ITEM(object t, Py_ssize_t i)
    void PyTuple_SET_ITEM(object t, Py_ssize_t i, object o)
    bint PyLong_CheckExact(object o)
    bint PyFloat_CheckExact(object o)
    bint PyDict_CheckExact(object o)
    bint PyList_CheckExact(object o)
    bint PyUnicode_CheckExact(object o)
    bint PyTuple_CheckExact(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    Py_ssize_t PyUnicode_Find(object s, object sub, Py_ssize_t start, Py_ssize_t end,
                              int direction) except -2
    void PyUnicode_InternInPlace(PyObject** p)
    object PyUnicode_FromStringAndSize(const char* s, Py_ssize_t n)
    int PyList_SetSlice(object l, Py_ssize_t lo, Py_ssize_t hi, PyObject* v) except -1
    object PyFloat_FromDouble(double v)
    const char* PyUnicode_AsUTF8AndSize(object s, Py_ssize_t* n) except NULL
    Py_ssize_t PyDict_GET_SIZE(object d)
    bint Py_UNICODE_ISSPACE(Py_UCS4 ch)
    Py_UCS4 PyUnicode_READ_CHAR(object s, Py_ssize_t i)
    void Py_DECREF_obj "Py_DECREF"(PyObject* o)
    int PyObject_GenericSetAttr(object o, object name, object value) except -1

cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
    #include <errno.h>

    /* BLAKE2b (RFC 7693), unkeyed, one-shot: hashlib.blake2b(m, digest_size=outlen). */
    static const uint64_t cf_b2_iv[8] = {
        0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL,
        0xa54ff53a5f1d36f1ULL, 0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL,
        0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};
    static const uint8_t cf_b2_sigma[12][16] = {
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
        {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
        {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
        {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
        {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
        {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
        {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
        {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
        {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
        {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
        {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3}};

    static inline uint64_t cf_rotr64(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

    static inline uint64_t cf_load64(const uint8_t *p) {
    #if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        uint64_t v;
        memcpy(&v, p, 8);
        return v;
    #else
        uint64_t v = 0;
        for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
        return v;
    #endif
    }

    static void cf_b2_compress(uint64_t h[8], const uint8_t block[128], uint64_t t, int last) {
        uint64_t v[16], m[16];
        for (int i = 0; i < 16; i++) m[i] = cf_load64(block + 8 * i);
        for (int i = 0; i < 8; i++) { v[i] = h[i]; v[i + 8] = cf_b2_iv[i]; }
        v[12] ^= t;
        if (last) v[14] = ~v[14];
    #define CF_G(a, b, c, d, x, y)                         \\
        v[a] = v[a] + v[b] + x; v[d] = cf_rotr64(v[d] ^ v[a], 32); \\
        v[c] = v[c] + v[d];     v[b] = cf_rotr64(v[b] ^ v[c], 24); \\
        v[a] = v[a] + v[b] + y; v[d] = cf_rotr64(v[d] ^ v[a], 16); \\
        v[c] = v[c] + v[d];     v[b] = cf_rotr64(v[b] ^ v[c], 63);
        for (int r = 0; r < 12; r++) {
            const uint8_t *s = cf_b2_sigma[r];
            CF_G(0, 4, 8, 12, m[s[0]], m[s[1]]);
            CF_G(1, 5, 9, 13, m[s[2]], m[s[3]]);
            CF_G(2, 6, 10, 14, m[s[4]], m[s[5]]);
            CF_G(3, 7, 11, 15, m[s[6]], m[s[7]]);
            CF_G(0, 5, 10, 15, m[s[8]], m[s[9]]);
            CF_G(1, 6, 11, 12, m[s[10]], m[s[11]]);
            CF_G(2, 7, 8, 13, m[s[12]], m[s[13]]);
            CF_G(3, 4, 9, 14, m[s[14]], m[s[15]]);
        }
    #undef CF_G
        for (int i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
    }

    /* hex of blake2b(data, digest_size=outlen) into out (2 * outlen chars), outlen <= 64 */
    static void cf_blake2b_hex(const uint8_t *data, size_t n, int outlen, char *out) {
        uint64_t h[8];
        uint8_t block[128];
        uint8_t digest[64];
        static const char hexd[] = "0123456789abcdef";
        for (int i = 0; i < 8; i++) h[i] = cf_b2_iv[i];
        h[0] ^= 0x01010000ULL ^ (uint64_t)outlen;
        uint64_t t = 0;
        while (n > 128) {
            t += 128;
            cf_b2_compress(h, data, t, 0);
            data += 128;
            n -= 128;
        }
        memset(block, 0, sizeof block);
        if (n) memcpy(block, data, n);
        t += n;
        cf_b2_compress(h, block, t, 1);
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 8; j++) digest[8 * i + j] = (uint8_t)(h[i] >> (8 * j));
        for (int i = 0; i < outlen; i++) {
            out[2 * i] = hexd[digest[i] >> 4];
            out[2 * i + 1] = hexd[digest[i] & 15];
        }
    }

    /* An instance of a tuple subclass (a NamedTuple) holding ``n`` new references. */
    static PyObject *cf_tuple_of(PyTypeObject *tp, Py_ssize_t n, PyObject **items) {
        PyObject *o = tp->tp_alloc(tp, n);
        if (o == NULL) return NULL;
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_INCREF(items[i]);
            PyTuple_SET_ITEM(o, i, items[i]);
        }
        return o;
    }

    /* 2.0 ** x as Python's float_pow computes it for a finite x (errno handling included):
       0 when fine, -1 with errno's Python error set. */
    static int cf_pow2(double x, double *out) {
        errno = 0;
        double r = pow(2.0, x);
        if (errno == 0) {
            if (r == HUGE_VAL || r == -HUGE_VAL) errno = ERANGE;
        } else if (errno == ERANGE && r == 0.0) {
            errno = 0;
        }
        if (errno != 0) {
            PyErr_SetFromErrno(errno == ERANGE ? PyExc_OverflowError : PyExc_ValueError);
            return -1;
        }
        *out = r;
        return 0;
    }
    """
    void cf_blake2b_hex(const unsigned char* data, size_t n, int outlen, char* out)
    object cf_tuple_of(PyTypeObject* tp, Py_ssize_t n, PyObject** items)
    int cf_pow2(double x, double* out) except -1


# Integers the fast code does arithmetic on in C: exact in a double, far from int64's ends.
cdef long long SAFE_INT = 4503599627370496  # 2 ** 52: a difference of two is exact too
cdef Py_ssize_t EID_CHARS = 14  # logic.EID_CHARS
cdef long long MAX_TS_MS = 253402300799999  # decode._MAX_TS_MS

cdef object _BEHAVIOR_TYPES = BEHAVIOR_TYPES
cdef PyTypeObject* _BEHAVIOR_T = <PyTypeObject*>Behavior
cdef PyTypeObject* _OUTCOME_T = <PyTypeObject*>_logic.Outcome
cdef object _IGNORED = _logic._IGNORED
cdef object _DUPLICATE = _logic.DUPLICATE
cdef dict _WEIGHTS = _logic.WEIGHTS
cdef dict _POP_WEIGHTS = _cooc.POPULARITY_WEIGHTS
cdef dict _STRENGTHS = _triggers.STRENGTHS
cdef object _VIEW_TYPES = _logic._VIEW_TYPES
cdef object _NEEDS_PRODUCT = _decode._NEEDS_PRODUCT
cdef object _py_apply_event = _logic.apply_event
cdef object _py_add_popularity = _cooc.add_popularity
cdef object _py_decode_behavior = _decode.decode_behavior
cdef object _Trigger = _triggers.Trigger
cdef object _Debouncer = _triggers.Debouncer
cdef tuple _TRIGGER_FIELDS = (
    "kind", "strength", "reason", "channel", "product_id", "source", "locale"
)
cdef tuple _PROVENANCE_FIELDS = ("topic", "partition", "offset", "event_id")
cdef object _object_new = object.__new__
cdef object _engine_erased_key = None


def _plain_frozen(cls: type, names: tuple) -> bool:
    """Is ``cls`` a frozen slots dataclass with exactly these fields and an __init__ that
    only stores them (so ``_new_frozen`` builds what calling it builds)?"""
    params = getattr(cls, "__dataclass_params__", None)
    fields = getattr(cls, "__dataclass_fields__", None)
    return (
        params is not None
        and params.frozen
        and fields is not None
        and tuple(fields) == names
        and getattr(cls, "__slots__", None) == names
        and not hasattr(cls, "__post_init__")
    )


# Trigger and Provenance are built here as their dataclass __init__ builds them:
# the fields stored in order, through object.__setattr__ (what a frozen dataclass's
# __init__ calls), at a fraction of the cost of the Python-level __init__.
_FAST_TRIGGERS = _plain_frozen(_Trigger, _TRIGGER_FIELDS) and _plain_frozen(
    Provenance, _PROVENANCE_FIELDS
)


cdef object _new_frozen(object cls, tuple names, tuple values):
    cdef Py_ssize_t i
    if not _FAST_TRIGGERS:
        return cls(*values)
    obj = _object_new(cls)
    for i in range(len(names)):
        PyObject_GenericSetAttr(obj, <object>PyTuple_GET_ITEM(names, i),
                                <object>PyTuple_GET_ITEM(values, i))
    return obj
cdef object _ProductView = ProductView
cdef object _Provenance = Provenance
cdef object _PlainAvroCodec = PlainAvroCodec
cdef object _new_profile = new_profile
cdef object _new_co_entry = new_co_entry
cdef object _BadInput = BadInput
cdef str _ZH = sys.intern("zh")
cdef str _EN = sys.intern("en")
cdef str _APPLIED = "applied"
cdef str _ERASE = "erase_user"
cdef str _ADD_TO_CART = "add_to_cart"
cdef str _PURCHASE = "purchase"
cdef object _ONE = 1
cdef object _ZERO_F = 0.0
cdef object _EMPTY = ()
cdef object _FAIL = object()

# The schema layout check and the weights the fast code reads as C doubles.
FAST_READER = bool(_decode.FAST_BEHAVIOR_READER)
for _w in list(_WEIGHTS.values()) + list(_POP_WEIGHTS.values()):
    if type(_w) is not float:
        raise ImportError("profile weights must be floats for the compiled path")


# -- decode -------------------------------------------------------------------------------

cdef class _Reader:
    """A cursor over one Avro value; every read says -1 when it cannot vouch for it."""
    cdef const unsigned char* buf
    cdef Py_ssize_t n
    cdef Py_ssize_t pos


cdef inline int _uvarint(_Reader r, unsigned long long* out, int max_bytes):
    """The raw (zig-zag) varint at pos, at most ``max_bytes`` long (the Python reader takes
    up to 10; longer than we need is left to it)."""
    cdef unsigned long long v = 0
    cdef int shift = 0
    cdef int i
    cdef unsigned char b
    for i in range(max_bytes):
        if r.pos >= r.n:
            return -1
        b = r.buf[r.pos]
        r.pos += 1
        v |= (<unsigned long long>(b & 0x7F)) << shift
        shift += 7
        if not (b & 0x80):
            out[0] = v
            return 0
    return -1


cdef inline object _string(_Reader r):
    """The Avro string at pos (NULL-free: None when it cannot read one)."""
    cdef unsigned long long n
    cdef Py_ssize_t length, start
    if _uvarint(r, &n, 5) < 0 or n & 1:
        return None
    length = <Py_ssize_t>(n >> 1)
    start = r.pos
    if length > r.n - start:
        return None
    r.pos = start + length
    try:
        return PyUnicode_DecodeUTF8(<const char*>(r.buf + start), length, NULL)
    except UnicodeDecodeError:
        return None


cdef inline object _optional(_Reader r):
    """A [null, string] union: None, the string, or _FAIL when unreadable."""
    cdef unsigned char branch
    if r.pos >= r.n:
        return _FAIL
    branch = r.buf[r.pos]
    r.pos += 1
    if branch == 0:
        return None
    if branch != 2:
        return _FAIL
    value = _string(r)
    if value is None:
        return _FAIL
    return value


# Product ids the reader has interned, each mapped to itself: the catalog's few thousand
# ids are found here, a table that stays in cache, instead of in the interpreter's table of
# every interned string (half of the reader's time on a wide stream). Bounded: cleared when
# full (unknown ids must not grow it without end); a cleared id is interned again.
cdef dict _PIDS = {}
cdef Py_ssize_t PIDS_MAX = 65536


cdef inline bint _blank(str s):
    """Empty, or (conservatively) starting with whitespace: left to the Python reader,
    which says whether ``s.strip()`` is empty."""
    return PyUnicode_GET_LENGTH(s) == 0 or Py_UNICODE_ISSPACE(PyUnicode_READ_CHAR(s, 0))


cdef object _read(bytes data):
    """decode._read_behavior's Behavior, or None for anything it would not read the same
    way (the caller then asks the Python path, which gives the exact answer or error)."""
    cdef _Reader r = _Reader.__new__(_Reader)
    cdef unsigned long long raw
    cdef long long ts
    cdef unsigned char c
    cdef Py_ssize_t count, k
    cdef object product_id, query, locale = None
    cdef PyObject* items[7]
    cdef PyObject* p
    r.buf = <const unsigned char*>PyBytes_AS_STRING(data)
    r.n = PyBytes_GET_SIZE(data)
    r.pos = 0
    event_id = _string(r)
    if event_id is None:
        return None
    user_id = _string(r)
    if user_id is None:
        return None
    if _string(r) is None:  # the session id: not used, but it must be valid
        return None
    if r.pos >= r.n:
        return None
    c = r.buf[r.pos]
    r.pos += 1
    if c & 1 or (c >> 1) >= 7:
        return None
    kind = <object>PyTuple_GET_ITEM(_BEHAVIOR_TYPES, c >> 1)
    product_id = _optional(r)
    if product_id is _FAIL:
        return None
    query = _optional(r)
    if query is _FAIL:
        return None
    if _uvarint(r, &raw, 8) < 0:
        return None
    ts = <long long>(raw >> 1) ^ -(<long long>(raw & 1))
    if not 0 <= ts <= MAX_TS_MS:
        return None
    # context: blocks of string → string entries, ended by a zero count; only locale is used
    while True:
        if r.pos >= r.n:
            return None
        c = r.buf[r.pos]
        r.pos += 1
        if c == 0:
            break
        if c & 0x81:
            return None  # negative count, or 64+ entries: the Python reader's business
        count = c >> 1
        for k in range(count):
            key = _string(r)
            if key is None:
                return None
            value = _string(r)
            if value is None:
                return None
            if key == "locale":
                locale = value
    if r.pos != r.n:
        return None
    if _blank(event_id) or _blank(user_id):
        return None
    if product_id is None or PyUnicode_GET_LENGTH(product_id) == 0:
        if kind in _NEEDS_PRODUCT:
            return None
        product_id = None
    else:
        p = PyDict_GetItemWithError(_PIDS, product_id)
        if p != NULL:
            product_id = <object>p  # the interned id, as below, from a smaller table
        else:
            p = <PyObject*>product_id
            Py_INCREF(product_id)  # InternInPlace may swap the reference it is given
            PyUnicode_InternInPlace(&p)
            product_id = <object>p
            Py_DECREF_obj(p)
            if PyDict_GET_SIZE(_PIDS) >= PIDS_MAX:
                _PIDS.clear()
            PyDict_SetItem(_PIDS, product_id, product_id)
    if query is not None and PyUnicode_GET_LENGTH(query) == 0:
        query = None
    if locale is not None:
        if locale == _ZH:
            locale = _ZH
        elif locale == _EN:
            locale = _EN
        else:
            locale = None
    ts_obj = PyLong_FromLongLong(ts)
    items[0] = <PyObject*>event_id
    items[1] = <PyObject*>user_id
    items[2] = <PyObject*>kind
    items[3] = <PyObject*>product_id
    items[4] = <PyObject*>query
    items[5] = <PyObject*>ts_obj
    items[6] = <PyObject*>locale
    return cf_tuple_of(_BEHAVIOR_T, 7, items)


def read_behavior(data: bytes) -> object:
    """decode._read_behavior, compiled: the Behavior, or ValueError when this reader cannot
    vouch for ``data`` (the caller takes the general path, as with the Python reader)."""
    if type(data) is not bytes:
        raise ValueError("not bytes")
    event = _read(data)
    if event is None:
        raise ValueError("left to the general path")
    return event


cdef object _decode_fast(object value, object codec, object topic, bint fast):
    """decode.decode_behavior: the compiled reader first, else the Python function."""
    if fast and type(value) is bytes:
        event = _read(<bytes>value)
        if event is not None:
            return event
    return _py_decode_behavior(value, codec, topic)


# -- profile update -----------------------------------------------------------------------

cdef struct Lim:
    double burst_window_ms
    double co_session_ms
    double fresh_ms
    double half_life_ms
    double max_future_skew_ms
    Py_ssize_t co_window
    Py_ssize_t max_affinities
    Py_ssize_t recent_bought
    Py_ssize_t recent_carted
    Py_ssize_t recent_viewed
    Py_ssize_t keep
    long long heavy_user_events


cdef int _limits_of(object cfg, Lim* lim) except -1:
    """The C copy of ``cfg.limits``; ValueError for values the C code does not take."""
    cdef object lm = cfg.limits
    lim.burst_window_ms = <double>lm.burst_window_ms
    lim.co_session_ms = <double>lm.co_session_ms
    lim.fresh_ms = <double>lm.fresh_ms
    lim.half_life_ms = <double>lm.half_life_ms
    lim.max_future_skew_ms = <double>lm.max_future_skew_ms
    for name in ("burst_window_ms", "co_session_ms", "fresh_ms", "half_life_ms",
                 "max_future_skew_ms"):
        if type(getattr(lm, name)) is not float:
            raise ValueError(f"limit {name} is not a float")
    for name in ("co_window", "max_affinities", "recent_bought", "recent_carted",
                 "recent_viewed", "recent_event_ids", "heavy_user_events"):
        v = getattr(lm, name)
        if type(v) is not int or not -SAFE_INT < v < SAFE_INT:
            raise ValueError(f"limit {name} is not a small int")
        if name != "heavy_user_events" and v < 1:
            raise ValueError(f"limit {name} is below 1")
    lim.co_window = lm.co_window
    lim.max_affinities = lm.max_affinities
    lim.recent_bought = lm.recent_bought
    lim.recent_carted = lm.recent_carted
    lim.recent_viewed = lm.recent_viewed
    lim.keep = lm.recent_event_ids * EID_CHARS
    lim.heavy_user_events = lm.heavy_user_events
    return 0


cdef inline bint _small_int(object o, long long* out):
    """An exact int within ±2**53 (so C arithmetic and int/float comparisons are exact)."""
    cdef int overflow = 0
    cdef long long v
    if not PyLong_CheckExact(o):
        return False
    v = PyLong_AsLongLongAndOverflow(o, &overflow)
    if overflow or not -SAFE_INT < v < SAFE_INT:
        return False
    out[0] = v
    return True


cdef inline object _item(list items, Py_ssize_t i):
    """items[i] for 0 <= i, raising as list subscription does."""
    if i >= PyList_GET_SIZE(items):
        raise IndexError("list index out of range")
    return <object>PyList_GET_ITEM(items, i)


# Comparisons of a list's stamp with the event time, as Python makes them (same operand
# order, same operator): in C for small ints, by the objects' own comparison otherwise (a
# recovered profile may hold anything). The profile's own fields are checked on entry
# (_usual_profile); what the lists and dicts hold is met one element at a time, so the
# update never walks a whole profile (memory it would not otherwise touch).

cdef inline bint _stamp_ge_ts(object stamp, long long ts, object ts_obj) except -1:
    """stamp >= ts"""
    cdef long long v = 0
    if _small_int(stamp, &v):
        return v >= ts
    return PyObject_RichCompareBool(stamp, ts_obj, Py_GE)


cdef inline bint _ts_ge_stamp(long long ts, object ts_obj, object stamp) except -1:
    """ts >= stamp"""
    cdef long long v = 0
    if _small_int(stamp, &v):
        return ts >= v
    return PyObject_RichCompareBool(ts_obj, stamp, Py_GE)


cdef inline bint _ts_lt_stamp(long long ts, object ts_obj, object stamp) except -1:
    """ts < stamp"""
    cdef long long v = 0
    if _small_int(stamp, &v):
        return ts < v
    return PyObject_RichCompareBool(ts_obj, stamp, Py_LT)


cdef struct Fields:
    # Borrowed from the profile dict: the containers are never replaced during an update,
    # and the scalars are read before anything is written.
    PyObject* eids
    long long ts
    long long t0
    long long n
    PyObject* cat
    PyObject* brand
    PyObject* band
    PyObject* viewed
    PyObject* viewed_ts
    PyObject* carted
    PyObject* carted_ts
    PyObject* bought
    PyObject* bought_ts


cdef inline PyObject* _field(dict p, str name) except? NULL:
    cdef PyObject* v = PyDict_GetItemWithError(p, name)
    return v


cdef inline bint _usual_profile(dict p, Fields* f) except -1:
    """Are the profile's own fields of the types the compiled update does arithmetic on?
    (Otherwise the Python reference updates it: a recovered value with odd types, huge
    numbers, missing keys.) Fills ``f`` with them."""
    cdef PyObject* v
    f.eids = _field(p, "eids")
    if f.eids == NULL or not PyUnicode_CheckExact(<object>f.eids):
        return False
    v = _field(p, "ts")
    if v == NULL or not _small_int(<object>v, &f.ts):
        return False
    v = _field(p, "t0")
    if v == NULL or not _small_int(<object>v, &f.t0):
        return False
    v = _field(p, "n")
    if v == NULL or not _small_int(<object>v, &f.n):
        return False
    for name in ("fresh", "total"):
        v = _field(p, name)
        if v == NULL or not PyFloat_CheckExact(<object>v):
            return False
    f.cat = _field(p, "cat")
    f.brand = _field(p, "brand")
    f.band = _field(p, "band")
    if (
        f.cat == NULL or not PyDict_CheckExact(<object>f.cat)
        or f.brand == NULL or not PyDict_CheckExact(<object>f.brand)
        or f.band == NULL or not PyDict_CheckExact(<object>f.band)
    ):
        return False
    f.viewed = _field(p, "viewed")
    f.viewed_ts = _field(p, "viewed_ts")
    f.carted = _field(p, "carted")
    f.carted_ts = _field(p, "carted_ts")
    f.bought = _field(p, "bought")
    f.bought_ts = _field(p, "bought_ts")
    return (
        f.viewed != NULL and PyList_CheckExact(<object>f.viewed)
        and f.viewed_ts != NULL and PyList_CheckExact(<object>f.viewed_ts)
        and f.carted != NULL and PyList_CheckExact(<object>f.carted)
        and f.carted_ts != NULL and PyList_CheckExact(<object>f.carted_ts)
        and f.bought != NULL and PyList_CheckExact(<object>f.bought)
        and f.bought_ts != NULL and PyList_CheckExact(<object>f.bought_ts)
    )


cdef inline object _min_key(dict scores):
    """min(scores, key=scores.__getitem__): the first least value (``<`` as min makes it:
    the new value against the least so far)."""
    cdef Py_ssize_t pos = 0
    cdef PyObject* k
    cdef PyObject* v
    cdef PyObject* best = NULL
    cdef PyObject* least = NULL
    cdef bint less
    while PyDict_Next(scores, &pos, &k, &v):
        if best == NULL:
            less = True
        elif PyFloat_CheckExact(<object>v) and PyFloat_CheckExact(<object>least):
            less = PyFloat_AS_DOUBLE(<object>v) < PyFloat_AS_DOUBLE(<object>least)
        else:
            less = PyObject_RichCompareBool(<object>v, <object>least, Py_LT)
        if less:
            best = k
            least = v
    return <object>best


cdef inline int _bump(dict scores, object key, double amount, Py_ssize_t cap) except -1:
    """logic._bump: scores[key] = scores.get(key, 0.0) + amount, then the weakest out."""
    cdef PyObject* old = PyDict_GetItemWithError(scores, key)
    if old == NULL:
        value = PyFloat_FromDouble(0.0 + amount)
    elif PyFloat_CheckExact(<object>old):
        value = PyFloat_FromDouble(PyFloat_AS_DOUBLE(<object>old) + amount)
    else:
        value = <object>old + PyFloat_FromDouble(amount)
    PyDict_SetItem(scores, key, value)
    if PyDict_GET_SIZE(scores) > cap:
        PyDict_DelItem(scores, _min_key(scores))
    return 0


cdef inline bint _in_list(list items, object x, Py_ssize_t start) except -1:
    """``x in items[start:]`` (identity, then ==, as list.__contains__)."""
    cdef Py_ssize_t i
    for i in range(start if start > 0 else 0, PyList_GET_SIZE(items)):
        if PyObject_RichCompareBool(<object>PyList_GET_ITEM(items, i), x, Py_EQ):
            return True
    return False


cdef inline Py_ssize_t _index(list items, object x) except -2:
    """items.index(x), or -1."""
    cdef Py_ssize_t i
    for i in range(PyList_GET_SIZE(items)):
        if PyObject_RichCompareBool(<object>PyList_GET_ITEM(items, i), x, Py_EQ):
            return i
    return -1


cdef int _remember(list ids, list stamps, object pid, long long ts, object ts_obj,
                   Py_ssize_t cap) except -1:
    """logic._remember."""
    cdef Py_ssize_t j, n, lo, hi, mid
    j = _index(ids, pid)
    if j >= 0:
        if _stamp_ge_ts(_item(stamps, j), ts, ts_obj):
            return 0
        del ids[j]
        del stamps[j]
    n = PyList_GET_SIZE(stamps)
    if n == 0 or _ts_ge_stamp(ts, ts_obj, <object>PyList_GET_ITEM(stamps, n - 1)):
        PyList_Append(ids, pid)
        PyList_Append(stamps, ts_obj)
    else:
        lo, hi = 0, n  # bisect_right(stamps, ts)
        while lo < hi:
            mid = (lo + hi) // 2
            if _ts_lt_stamp(ts, ts_obj, <object>PyList_GET_ITEM(stamps, mid)):
                hi = mid
            else:
                lo = mid + 1
        PyList_Insert(ids, lo, pid)
        PyList_Insert(stamps, lo, ts_obj)
    if PyList_GET_SIZE(ids) > cap:
        del ids[0]
        del stamps[0]
    return 0


cdef object _recent_before(list ids, list stamps, object pid, long long ts, object ts_obj,
                           Py_ssize_t limit, double within_ms):
    """logic._recent_before: the last ``limit`` other products seen no earlier than
    ``within_ms`` before ``ts``, newest first (a tuple built directly, no list)."""
    cdef PyObject* found[64]
    cdef Py_ssize_t j, count = 0
    cdef long long when = 0
    cdef bint later, too_old
    if limit > 64:  # beyond any sensible co_window: the reference
        return _logic._recent_before(ids, stamps, pid, ts_obj, limit, within_ms)
    for j in range(PyList_GET_SIZE(ids) - 1, -1, -1):
        if count >= limit:
            break
        other = <object>PyList_GET_ITEM(ids, j)
        stamp = _item(stamps, j)
        if _small_int(stamp, &when):
            later = when > ts
            too_old = not later and <double>(ts - when) > within_ms
        else:
            later = PyObject_RichCompareBool(stamp, ts_obj, Py_GT)
            too_old = not later and PyObject_RichCompareBool(
                ts_obj - stamp, PyFloat_FromDouble(within_ms), Py_GT
            )
        if later:
            continue
        if too_old:
            break
        if not PyObject_RichCompareBool(other, pid, Py_EQ):
            found[count] = <PyObject*>other
            count += 1
    if count == 0:
        return _EMPTY
    out = PyTuple_New(count)
    for j in range(count):
        Py_INCREF(<object>found[j])
        PyTuple_SET_ITEM(out, j, <object>found[j])
    return out


cdef inline bint _replayed(object profile, object partition, object offset) except -1:
    """logic.replayed: is the record at ``partition``/``offset`` in ``profile`` already?"""
    cdef PyObject* w
    if not PyDict_CheckExact(profile):
        return _logic.replayed(profile, partition, offset)
    w = PyDict_GetItemWithError(<dict>profile, "off")
    if w == NULL or type(<object>w) is not int:
        return False
    if not PyObject_RichCompareBool(offset, <object>w, Py_LE):
        return False
    w = PyDict_GetItemWithError(<dict>profile, "part")
    return w != NULL and PyObject_RichCompareBool(<object>w, partition, Py_EQ)


cdef inline bint _seen(str eids, str digest) except -1:
    """logic.seen_event."""
    cdef Py_ssize_t i = PyUnicode_Find(eids, digest, 0, PyUnicode_GET_LENGTH(eids), 1)
    while i != -1:
        if i % EID_CHARS == 0:
            return True
        i = PyUnicode_Find(eids, digest, i + 1, PyUnicode_GET_LENGTH(eids), 1)
    return False


cdef str _event_hash(object event_id):
    """logic.event_hash without hashlib's call overhead (same digest, checked in tests)."""
    cdef Py_ssize_t n
    cdef const char* data = PyUnicode_AsUTF8AndSize(event_id, &n)
    cdef char out[14]  # 2 * 7 digest bytes in hex
    cf_blake2b_hex(<const unsigned char*>data, <size_t>n, 7, out)
    return PyUnicode_FromStringAndSize(out, 14)


cdef object _erased_key(object user_id):
    """engine.erased_key: blake2b(user_id, digest_size=16) in hex."""
    cdef Py_ssize_t n
    cdef const char* data
    cdef char out[32]  # 2 * 16 digest bytes in hex
    if not PyUnicode_CheckExact(user_id):
        return _engine_erased_key(user_id)
    data = PyUnicode_AsUTF8AndSize(user_id, &n)
    cf_blake2b_hex(<const unsigned char*>data, <size_t>n, 16, out)
    return PyUnicode_FromStringAndSize(out, 32)


def erased_key(user_id: str) -> str:
    """engine.erased_key, compiled."""
    return _erased_key(user_id)


def event_hash(event_id: str) -> str:
    """logic.event_hash, compiled."""
    if not PyUnicode_CheckExact(event_id):
        return _logic.event_hash(event_id)
    return _event_hash(event_id)


cdef object _apply_event(object profile, object event, object product, object now_ms,
                         Lim* lim, object search, object cfg):
    """logic.apply_event, for a usual profile; the Python reference for any other."""
    cdef long long ts = 0, now = 0, t0 = 0, created = 0, n_events = 0, pts = 0
    cdef double exponent, amount, weight, factor, since
    cdef bint clamped, out_of_order, below
    cdef Py_ssize_t cap, views_in_window, lo, hi, mid, nv
    cdef PyObject* wp
    cdef dict p, scores
    cdef list viewed, viewed_ts, bought, carted
    cdef str eids, digest
    cdef PyObject* items[9]
    cdef Fields f
    memset(&f, 0, sizeof(Fields))
    kind = <object>PyTuple_GET_ITEM(event, 2)
    ts_obj = <object>PyTuple_GET_ITEM(event, 5)
    category = brand = band = None
    if product is not None and type(product) is _ProductView:
        category, brand, band = product.category, product.brand, product.band
        created_obj = product.created_at_ms
    if (
        not PyDict_CheckExact(profile)
        or not _small_int(ts_obj, &ts)
        or not _small_int(now_ms, &now)
        or not PyUnicode_CheckExact(<object>PyTuple_GET_ITEM(event, 0))
        or not (product is None or (
            category is not None
            and PyUnicode_CheckExact(category)
            and PyUnicode_CheckExact(brand)
            and PyUnicode_CheckExact(band)
            and _small_int(created_obj, &created)
        ))
        or not _usual_profile(<dict>profile, &f)
    ):
        return _py_apply_event(profile, event, product, now_ms, cfg, search)
    p = <dict>profile
    wp = PyDict_GetItemWithError(_WEIGHTS, kind)
    if wp == NULL:
        return _IGNORED
    weight = PyFloat_AS_DOUBLE(<object>wp)
    eids = <str>f.eids
    digest = _event_hash(<object>PyTuple_GET_ITEM(event, 0))
    if PyUnicode_Contains(eids, digest) and _seen(eids, digest):
        return _DUPLICATE
    eids = PyUnicode_Concat(eids, digest)
    if PyUnicode_GET_LENGTH(eids) > lim.keep:
        eids = PyUnicode_Substring(eids, PyUnicode_GET_LENGTH(eids) - lim.keep,
                                   PyUnicode_GET_LENGTH(eids))
    p["eids"] = eids

    clamped = <double>ts > <double>now + lim.max_future_skew_ms
    if clamped:
        ts = now
        ts_obj = now_ms
    out_of_order = ts < f.ts
    if not out_of_order:
        p["ts"] = ts_obj
    n_events = f.n + 1
    p["n"] = PyLong_FromLongLong(n_events)
    locale = <object>PyTuple_GET_ITEM(event, 6)
    if locale:
        p["loc"] = locale

    t0 = f.t0
    exponent = <double>(ts - t0) / lim.half_life_ms
    if exponent > 64.0:
        _rebase(p, ts, ts_obj, t0, lim.half_life_ms)
        exponent = 0.0
    if exponent > -64.0:
        cf_pow2(exponent, &factor)
        amount = weight * factor
    else:
        amount = 0.0

    pid = <object>PyTuple_GET_ITEM(event, 3)
    cap = lim.max_affinities
    if product is not None and amount:
        _bump(<dict>f.cat, category, amount, cap)
        if PyUnicode_GET_LENGTH(brand):
            _bump(<dict>f.brand, brand, amount, cap)
        _bump(<dict>f.band, band, amount, cap)
        p["total"] = PyFloat_FromDouble(PyFloat_AS_DOUBLE(p["total"]) + amount)
        if 0 <= ts - created and <double>(ts - created) <= lim.fresh_ms:
            p["fresh"] = PyFloat_FromDouble(PyFloat_AS_DOUBLE(p["fresh"]) + amount)
    elif search is not None and amount:
        scores = <dict>f.cat
        for name in search.categories:
            _bump(scores, name, amount, cap)
        scores = <dict>f.brand
        for name in search.brands:
            _bump(scores, name, amount, cap)

    co_view = _EMPTY
    co_buy = _EMPTY
    views_in_window = 0
    if pid is not None:
        if kind in _VIEW_TYPES:
            viewed = <list>f.viewed
            viewed_ts = <list>f.viewed_ts
            # A re-view of an item already in the session window adds no new pair.
            if not _in_list(viewed, pid, PyList_GET_SIZE(viewed) - lim.co_window - 1):
                co_view = _recent_before(viewed, viewed_ts, pid, ts, ts_obj, lim.co_window,
                                         lim.co_session_ms)
            _remember(viewed, viewed_ts, pid, ts, ts_obj, lim.recent_viewed)
            # len(viewed_ts) - bisect_left(viewed_ts, ts - burst_window_ms)
            nv = PyList_GET_SIZE(viewed_ts)
            lo, hi = 0, nv
            since = <double>ts - lim.burst_window_ms
            while lo < hi:
                mid = (lo + hi) // 2
                stamp = <object>PyList_GET_ITEM(viewed_ts, mid)
                if _small_int(stamp, &pts):
                    below = <double>pts < since
                else:
                    below = PyObject_RichCompareBool(stamp, PyFloat_FromDouble(since), Py_LT)
                if below:
                    lo = mid + 1
                else:
                    hi = mid
            views_in_window = nv - lo
        elif kind == _ADD_TO_CART:
            _remember(<list>f.carted, <list>f.carted_ts, pid, ts, ts_obj, lim.recent_carted)
        elif kind == _PURCHASE:
            bought = <list>f.bought
            if not _in_list(bought, pid, 0):
                # tuple(reversed(bought[-co_window:]))
                nv = PyList_GET_SIZE(bought)
                hi = nv if nv < lim.co_window else lim.co_window
                if hi:
                    co_buy = PyTuple_New(hi)
                    for mid in range(hi):
                        other = <object>PyList_GET_ITEM(bought, nv - 1 - mid)
                        Py_INCREF(other)
                        PyTuple_SET_ITEM(co_buy, mid, other)
            _remember(bought, <list>f.bought_ts, pid, ts, ts_obj, lim.recent_bought)
            carted = <list>f.carted
            lo = _index(carted, pid)
            if lo >= 0:  # bought, so no longer waiting in the cart
                del carted[lo]
                del (<list>f.carted_ts)[lo]

    o_applied = _APPLIED
    o_ooo = out_of_order
    o_unknown = product is None and pid is not None
    o_clamped = clamped
    o_heavy = n_events > lim.heavy_user_events
    o_views = PyLong_FromLongLong(views_in_window)
    items[0] = <PyObject*>o_applied
    items[1] = <PyObject*>o_ooo
    items[2] = <PyObject*>o_unknown
    items[3] = <PyObject*>o_clamped
    items[4] = <PyObject*>o_heavy
    items[5] = <PyObject*>o_views
    items[6] = <PyObject*>co_view
    items[7] = <PyObject*>co_buy
    items[8] = <PyObject*>ts_obj
    return cf_tuple_of(_OUTCOME_T, 9, items)


cdef int _rebase(dict p, long long ts, object ts_obj, long long t0, double half_life) except -1:
    """logic._rebase: every score scaled once to the new anchor ``ts``."""
    cdef double factor
    cdef dict scores
    cdef Py_ssize_t pos
    cdef PyObject* k
    cdef PyObject* v
    cf_pow2(<double>(t0 - ts) / half_life, &factor)
    for name in ("cat", "brand", "band"):
        scores = <dict>p[name]
        pos = 0
        while PyDict_Next(scores, &pos, &k, &v):
            # Same keys, new values: a dict may be changed so while iterating over it.
            if PyFloat_CheckExact(<object>v):
                value = PyFloat_FromDouble(PyFloat_AS_DOUBLE(<object>v) * factor)
            else:
                value = <object>v * PyFloat_FromDouble(factor)  # scores[key] *= factor
            PyDict_SetItem(scores, <object>k, value)
    p["fresh"] = PyFloat_FromDouble(PyFloat_AS_DOUBLE(p["fresh"]) * factor)
    p["total"] = PyFloat_FromDouble(PyFloat_AS_DOUBLE(p["total"]) * factor)
    p["t0"] = ts_obj
    return 0


def apply_event(profile: object, event: object, product: object, now_ms: object, cfg: object,
                search: object = None) -> object:
    """logic.apply_event, compiled (same arguments, same result, same changes)."""
    cdef Lim lim
    if type(event) is not Behavior:
        return _py_apply_event(profile, event, product, now_ms, cfg, search)
    try:
        _limits_of(cfg, &lim)
    except ValueError:
        return _py_apply_event(profile, event, product, now_ms, cfg, search)
    return _apply_event(profile, event, product, now_ms, &lim, search, cfg)


# -- co-occurrence ------------------------------------------------------------------------

cdef int _evict_weakest(dict counts, Py_ssize_t cap) except -1:
    """cooc.evict_weakest: the first key holding a 1, else the first least count."""
    cdef Py_ssize_t pos, i, found
    cdef PyObject* k
    cdef PyObject* v
    cdef PyObject* least
    cdef list values
    while PyDict_GET_SIZE(counts) > cap:
        pos = 0
        i = 0
        found = -1
        while PyDict_Next(counts, &pos, &k, &v):  # indexOf(counts.values(), 1)
            if PyObject_RichCompareBool(<object>v, _ONE, Py_EQ):
                found = i
                break
            i += 1
        if found < 0:
            values = list(counts.values())
            found = values.index(min(values))
        pos = 0
        i = 0
        while PyDict_Next(counts, &pos, &k, &v):
            if i == found:
                key = <object>k
                break
            i += 1
        del counts[key]
    return 0


cdef int _count(dict counts, object other) except -1:
    """counts[other] = counts.get(other, 0) + 1."""
    cdef PyObject* old = PyDict_GetItemWithError(counts, other)
    cdef long long v = 0
    if old == NULL:
        PyDict_SetItem(counts, other, _ONE)
    elif _small_int(<object>old, &v):
        PyDict_SetItem(counts, other, PyLong_FromLongLong(v + 1))
    else:
        PyDict_SetItem(counts, other, <object>old + 1)
    return 0


cdef int _add_pairs(object entry, object kind, object others, Py_ssize_t cap) except -1:
    """cooc.add_pairs (the Python reference for counts that are not a dict)."""
    counts = entry["v"] if kind == "v" else entry["b"]
    if not PyDict_CheckExact(counts):
        _cooc.add_pairs(entry, kind, others, cap)
        return 0
    for other in others:
        _count(<dict>counts, other)
    if PyDict_GET_SIZE(counts) > cap:
        _evict_weakest(<dict>counts, cap)
    return 0


def add_pairs(entry: object, kind: str, others: object, cap: int) -> None:
    """cooc.add_pairs, compiled."""
    _add_pairs(entry, kind, others, cap)


def evict_weakest(counts: dict, cap: int) -> None:
    """cooc.evict_weakest, compiled."""
    _evict_weakest(counts, cap)


cdef int _add_popularity(object entry, double weight, long long ts, object ts_obj,
                         double half_life) except -1:
    """cooc.add_popularity; the Python reference for an entry of other types."""
    cdef long long t0 = 0
    cdef double exponent, factor, pop
    cdef PyObject* t0p
    cdef PyObject* popp
    if PyDict_CheckExact(entry):
        t0p = PyDict_GetItemWithError(entry, "t0")
        popp = PyDict_GetItemWithError(entry, "pop")
        if (t0p != NULL and popp != NULL and _small_int(<object>t0p, &t0)
                and PyFloat_CheckExact(<object>popp)):
            pop = PyFloat_AS_DOUBLE(<object>popp)
            exponent = <double>(ts - t0) / half_life
            if exponent > 64.0:
                cf_pow2(<double>(t0 - ts) / half_life, &factor)
                pop = pop * factor
                entry["pop"] = PyFloat_FromDouble(pop)
                entry["t0"] = ts_obj
                exponent = 0.0
            cf_pow2(exponent, &factor)
            entry["pop"] = PyFloat_FromDouble(pop + weight * factor)
            return 0
    _py_add_popularity(entry, weight, ts_obj, half_life)
    return 0


# -- the engine ---------------------------------------------------------------------------

cdef object _reads(object mapping):
    """The mapping a table's reads go to (app.TableView.read_view), else the mapping."""
    read_view = getattr(mapping, "read_view", None)
    return read_view() if read_view is not None else mapping


cdef inline object _mget(object mapping, object key):
    """mapping.get(key): a dict directly, anything else (a faust TableView) by its get."""
    cdef PyObject* v
    if PyDict_CheckExact(mapping):
        v = PyDict_GetItemWithError(mapping, key)
        return <object>v if v != NULL else None
    return mapping.get(key)


cdef class HotEngine:
    """ProfileEngine's per-event work compiled: ``apply`` and ``on_behavior_batch`` of the
    engine it is made for, which keeps its state, metrics, index and debouncer (read here
    through the engine, so the two never disagree). The config's numbers are read once,
    as ``cfg.limits`` already is; a config the C code cannot hold raises ValueError."""

    cdef object engine
    cdef object cfg
    cdef Lim lim
    cdef Py_ssize_t max_neighbors
    cdef double pop_half_life
    cdef long long burst_views
    # The engine's mappings and helpers, read once per call (none is replaced meanwhile:
    # the dirty dicts are cleared in place, the index resets only in refresh/resync).
    cdef object dirty_profiles, dirty_co, profiles, catalog, co, erased, index, views
    cdef object debouncer
    cdef object pending  # the Debouncer's windows by user, or None for another debouncer
    # "<partition>:<product id>" per partition and product: the co table's keys, made once
    # and then the very objects the table holds (found by identity, hashed once).
    cdef dict co_keys
    # Metric counts not yet added to engine.metrics (added when a call returns).
    cdef long long c_behavior_events, c_applied, c_duplicates, c_replayed, c_ignored
    cdef long long c_out_of_order
    cdef long long c_unknown_product, c_future_clamped, c_heavy, c_erased_user_events
    cdef long long c_triggers, c_coalesced

    def __init__(self, engine: object) -> None:
        global _engine_erased_key
        from workers.profiles.engine import erased_key

        _engine_erased_key = erased_key  # for ids that are not plain str
        cfg = engine.cfg
        self.engine = engine
        self.cfg = cfg
        _limits_of(cfg, &self.lim)
        if type(cfg.max_neighbors) is not int or not 1 <= cfg.max_neighbors < SAFE_INT:
            raise ValueError("max_neighbors")
        if type(cfg.burst_views) is not int or not -SAFE_INT < cfg.burst_views < SAFE_INT:
            raise ValueError("burst_views")
        self.max_neighbors = cfg.max_neighbors
        self.co_keys = {}
        self.pop_half_life = cfg.popularity_half_life_s * 1000.0
        self.burst_views = cfg.burst_views

    cdef void _flush_metrics(self) except *:
        m = self.engine.metrics
        if self.c_behavior_events:
            m.behavior_events += self.c_behavior_events
        if self.c_applied:
            m.applied += self.c_applied
        if self.c_duplicates:
            m.duplicates += self.c_duplicates
        if self.c_replayed:
            m.replayed += self.c_replayed
        if self.c_ignored:
            m.ignored += self.c_ignored
        if self.c_out_of_order:
            m.out_of_order += self.c_out_of_order
        if self.c_unknown_product:
            m.unknown_product += self.c_unknown_product
        if self.c_future_clamped:
            m.future_clamped += self.c_future_clamped
        if self.c_heavy:
            m.heavy_user_events += self.c_heavy
        if self.c_erased_user_events:
            m.erased_user_events += self.c_erased_user_events
        if self.c_triggers:
            m.triggers += self.c_triggers
        if self.c_coalesced:
            m.coalesced += self.c_coalesced
        self.c_behavior_events = self.c_applied = self.c_duplicates = self.c_ignored = 0
        self.c_replayed = 0
        self.c_out_of_order = self.c_unknown_product = self.c_future_clamped = 0
        self.c_heavy = self.c_erased_user_events = self.c_triggers = self.c_coalesced = 0

    cdef int _bind(self) except -1:
        engine = self.engine
        state = engine.state
        self.dirty_profiles = engine._dirty_profiles
        self.dirty_co = engine._dirty_co
        # A faust TableView reads its store's dict: read that dict here, as its get does.
        self.profiles = _reads(state.profiles)
        self.catalog = _reads(state.catalog)
        self.co = _reads(state.co)
        self.erased = _reads(state.erased)
        self.index = engine.index
        self.views = self.index._views
        self.debouncer = engine.debouncer
        self.pending = (
            self.debouncer._pending
            if type(self.debouncer) is _Debouncer and _FAST_TRIGGERS
            else None
        )
        return 0

    def apply(self, event: object, source: object, now_ms: object) -> object:
        """ProfileEngine.apply, compiled."""
        engine = self.engine
        self._bind()
        try:
            outcome = self._apply(engine, engine.state, event, source, now_ms)
        finally:
            self._flush_metrics()
        if not engine._in_batch:
            engine.write_back()
        return outcome

    def on_behavior_batch(
        self, envs: object, now_ms: object, envelope_of: object = None
    ) -> list:
        """ProfileEngine.on_behavior_batch, compiled. With ``envelope_of``, ``envs`` are
        consumer records, and the Envelope of one is made only where it is needed (a dead
        letter, or a value that is not bytes): the event's provenance (topic, partition,
        offset) and its value are the record's own, so the results are those of
        ``on_behavior_batch([envelope_of(r) for r in records])``."""
        cdef list out = []
        engine = self.engine
        state = engine.state
        codec = engine.codecs.behavior
        cdef bint fast = (
            FAST_READER and type(codec) is _PlainAvroCodec and codec.name == "UserBehavior"
        )
        cdef bint records = envelope_of is not None
        engine._in_batch = True
        self._bind()
        try:
            for env in envs:
                self.c_behavior_events += 1
                value = env.value
                if records and not isinstance(value, bytes):
                    env = envelope_of(env)  # its value is b""
                    value = env.value
                topic = env.topic
                try:
                    event = _decode_fast(value, codec, topic, fast)
                except _BadInput as exc:
                    if records and type(env) is not Envelope:
                        env = envelope_of(env)
                    out.append(engine._dead_letter(env, exc.stage, exc.reason))
                    continue
                try:
                    self._apply(engine, state, event, env, now_ms)
                except Exception as exc:  # noqa: BLE001 - see ProfileEngine.on_product
                    self._flush_metrics()  # _unexpected logs; the counts stay in order
                    if records and type(env) is not Envelope:
                        env = envelope_of(env)
                    out.append(engine._unexpected(env, exc))
        finally:
            engine._in_batch = False
            self._flush_metrics()
            engine.write_back()
        return out

    cdef object _apply(self, object engine, object state, object event, object source,
                       object now_ms):
        """ProfileEngine.apply's body (metrics counted here, added by the caller)."""
        cdef long long strength, ts
        cdef PyObject* sp
        user_id = <object>PyTuple_GET_ITEM(event, 1)
        kind = <object>PyTuple_GET_ITEM(event, 2)
        dirty = self.dirty_profiles
        profile = _mget(dirty, user_id)
        if profile is None:
            profile = _mget(self.profiles, user_id)
        # A user with a profile is not erased (erasure deletes it, and an erased user's
        # events never make a new one), so only users without one pay for the digest.
        if profile is None and _erased_key(user_id) in self.erased:
            self.c_erased_user_events += 1
            return None
        if kind == _ERASE:
            engine._erase(user_id, <object>PyTuple_GET_ITEM(event, 5))
            return None
        if profile is None:
            # As engine.py: anchored at the clamped time (a future anchor overflows decay).
            anchor = <object>PyTuple_GET_ITEM(event, 5)
            if <double>anchor > <double>now_ms + self.lim.max_future_skew_ms:
                anchor = now_ms
            profile = _new_profile(anchor)
        partition, offset = source.partition, source.offset
        if _replayed(profile, partition, offset):
            self.c_replayed += 1
            return _DUPLICATE
        product_id = <object>PyTuple_GET_ITEM(event, 3)
        entry = _mget(self.catalog, product_id) if product_id else None
        if entry is not None:
            view = _mget(self.views, entry["product_id"])  # index.view_of's cache
            if view is None:
                view = self.index.view_of(entry)
        else:
            view = None
        query = <object>PyTuple_GET_ITEM(event, 4)
        search = self.index.match_query(query) if query else None
        outcome = _apply_event(profile, event, view, now_ms, &self.lim, search, self.cfg)
        status = <object>PyTuple_GET_ITEM(outcome, 0)
        if status != _APPLIED:
            if status == "duplicate":
                self.c_duplicates += 1
            else:
                self.c_ignored += 1
            return outcome
        self.c_applied += 1
        profile["part"] = partition  # logic.mark_source
        profile["off"] = offset
        if <object>PyTuple_GET_ITEM(outcome, 1):
            self.c_out_of_order += 1
        if <object>PyTuple_GET_ITEM(outcome, 2):
            self.c_unknown_product += 1
        if <object>PyTuple_GET_ITEM(outcome, 3):
            self.c_future_clamped += 1
        if <object>PyTuple_GET_ITEM(outcome, 4):
            self.c_heavy += 1
        dirty[user_id] = profile
        if product_id is not None:
            self._update_co(engine, state, event, outcome, source.partition)
        # trigger_strength
        sp = PyDict_GetItemWithError(_STRENGTHS, kind)
        strength = <long long>(<object>sp) if sp != NULL else 0
        if strength == 1 and <object>PyTuple_GET_ITEM(outcome, 5) < self.burst_views:
            strength = 0
        if strength:
            self.c_triggers += 1
            self._trigger(user_id, event, outcome, source, now_ms, strength)
        return outcome

    cdef int _trigger(self, object user_id, object event, object outcome, object source,
                      object now_ms, long long strength) except -1:
        """The engine's ``debouncer.absorbs`` / ``trigger_for`` / ``debouncer.offer`` step.
        For a plain Debouncer the common cases run here: a window already open absorbs
        the trigger, or takes it as its new one; a new window is opened by ``offer``."""
        cdef PyObject* cur
        debouncer = self.debouncer
        if self.pending is None:  # another debouncer: through its methods
            if debouncer.absorbs(user_id, strength):
                self.c_coalesced += 1
                return 0
            trigger = self._trigger_for(event, outcome, self._provenance(source, event))
            if trigger is not None and not debouncer.offer(user_id, trigger, now_ms):
                self.c_coalesced += 1
            return 0
        cur = PyDict_GetItemWithError(self.pending, user_id)
        if cur != NULL:
            current = <object>cur
            if strength < current.trigger.strength:  # absorbs: a stronger one is pending
                current.coalesced += 1
                self.c_coalesced += 1
                return 0
        trigger = self._trigger_for(event, outcome, self._provenance(source, event))
        if trigger is None:
            return 0
        if cur == NULL:
            if not debouncer.offer(user_id, trigger, now_ms):
                self.c_coalesced += 1
            return 0
        # offer() into the open window: counted, and the trigger is the latest at least as
        # strong as the pending one (it is, or absorbs would have taken it).
        current.coalesced += 1
        if trigger.strength >= current.trigger.strength:
            current.trigger = trigger
        self.c_coalesced += 1
        return 0

    cdef object _provenance(self, object source, object event):
        if type(source) is _Provenance:
            return source
        return _new_frozen(
            _Provenance,
            _PROVENANCE_FIELDS,
            (source.topic, source.partition, source.offset, <object>PyTuple_GET_ITEM(event, 0)),
        )

    cdef object _trigger_for(self, object event, object outcome, object source):
        """triggers.trigger_for, for an applied event (the caller saw a strength)."""
        kind = <object>PyTuple_GET_ITEM(event, 2)
        pid = <object>PyTuple_GET_ITEM(event, 3)
        locale = <object>PyTuple_GET_ITEM(event, 6)
        if kind == _PURCHASE:
            # Right after a purchase the feed is the place for complements; a push would nag.
            values = ("purchase", 4, f"bought:{pid}", "feed_card", pid, source, locale)
        elif kind == _ADD_TO_CART:
            values = ("add_to_cart", 3, f"carted:{pid}", "push", pid, source, locale)
        elif kind == "search":
            values = ("search", 2, "searched", "feed_card", None, source, locale)
        elif kind in _VIEW_TYPES and <object>PyTuple_GET_ITEM(outcome, 5) >= self.burst_views:
            values = ("view_burst", 1, f"viewed:{pid}", "feed_card", pid, source, locale)
        else:
            return None
        return _new_frozen(_Trigger, _TRIGGER_FIELDS, values)

    cdef object _co_key(self, object keys, object partition, object pid):
        """f"{partition}:{pid}", the same object each time for a str id."""
        cdef PyObject* k
        if keys is None or not PyUnicode_CheckExact(pid):
            return f"{partition}:{pid}"
        k = PyDict_GetItemWithError(keys, pid)
        if k != NULL:
            return <object>k
        key = f"{partition}:{pid}"
        PyDict_SetItem(keys, pid, key)
        return key

    cdef int _update_co(self, object engine, object state, object event, object outcome,
                        object partition) except -1:
        """ProfileEngine._update_co."""
        cdef PyObject* wp
        cdef long long ts = 0
        cdef Py_ssize_t cap = self.max_neighbors
        pid = <object>PyTuple_GET_ITEM(event, 3)
        wp = PyDict_GetItemWithError(_POP_WEIGHTS, <object>PyTuple_GET_ITEM(event, 2))
        if pid is None or wp == NULL:
            return 0
        ts_obj = <object>PyTuple_GET_ITEM(outcome, 8)
        dirty, stored = self.dirty_co, self.co
        keys = None
        if type(partition) is int:
            keys = _mget(self.co_keys, partition)
            if keys is None:
                keys = self.co_keys[partition] = {}
        key = self._co_key(keys, partition, pid)
        entry = _mget(dirty, key)
        if entry is None:
            entry = _mget(stored, key)
            if entry is None:
                entry = _new_co_entry(ts_obj)
            dirty[key] = entry
        if _small_int(ts_obj, &ts):
            _add_popularity(entry, PyFloat_AS_DOUBLE(<object>wp), ts, ts_obj, self.pop_half_life)
        else:
            _py_add_popularity(entry, <object>wp, ts_obj, self.pop_half_life)
        for kind, others in (("v", <object>PyTuple_GET_ITEM(outcome, 6)),
                             ("b", <object>PyTuple_GET_ITEM(outcome, 7))):
            if not others:
                continue
            _add_pairs(entry, kind, others, cap)
            for other in others:  # symmetric: the other item learns about this one too
                key = self._co_key(keys, partition, other)
                other_entry = _mget(dirty, key)
                if other_entry is None:
                    other_entry = _mget(stored, key)
                    if other_entry is None:
                        other_entry = _new_co_entry(ts_obj)
                    dirty[key] = other_entry
                counts = other_entry["v"] if kind == "v" else other_entry["b"]
                if PyDict_CheckExact(counts):
                    _count(<dict>counts, pid)
                    if PyDict_GET_SIZE(counts) > cap:
                        _evict_weakest(<dict>counts, cap)
                else:
                    counts[pid] = counts.get(pid, 0) + 1
                    if len(counts) > cap:
                        _cooc.evict_weakest(counts, cap)
        return 0


# -- changelog JSON -----------------------------------------------------------------------

cdef extern from "Python.h":
    char* PyOS_double_to_string(double val, char format_code, int precision, int flags,
                                int* ptype) except NULL
    int Py_DTSF_ADD_DOT_0
    void* PyMem_Realloc(void* p, size_t n)
    void PyMem_Free(void* p)
    int Py_UNICODE_IS_SURROGATE(Py_UCS4 ch)
    Py_UCS4 Py_UNICODE_HIGH_SURROGATE(Py_UCS4 ch)
    Py_UCS4 Py_UNICODE_LOW_SURROGATE(Py_UCS4 ch)
    int PyUnicode_KIND(object s)
    void* PyUnicode_DATA(object s)
    bint PyUnicode_IS_ASCII(object s)
    Py_UCS4 PyUnicode_READ(int kind, void* data, Py_ssize_t i)
    object PyBytes_FromStringAndSize(const char* s, Py_ssize_t n)

cdef extern from "math.h":
    bint isfinite(double x)
    bint isnan(double x)

cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
    #include <math.h>

    /* Shortest round-trip digits of a double by Grisu3 (Loitsch, "Printing Floating-Point
       Numbers Quickly and Accurately with Integers", PLDI 2010, as double-conversion
       implements it): the shortest digit string that reads back as the double and, of
       several, the one closest to it, which is what Python's repr (dtoa mode 0) writes.
       Grisu3 reports the few doubles it cannot vouch for (about 0.5%: a candidate too
       close to the interval's edge or to another candidate for 64-bit arithmetic); the
       caller formats those with PyOS_double_to_string. */
    typedef struct { uint64_t f; int e; } cf_fp;

    /* 10^k for k = -348, -340, ..., 340: 64-bit significand, rounded, and binary exponent. */
    static const struct { uint64_t f; int e; } cf_pow10[87] = {
        {0xfa8fd5a0081c0288ULL, -1220},
            {0xbaaee17fa23ebf76ULL, -1193},
            {0x8b16fb203055ac76ULL, -1166},
            {0xcf42894a5dce35eaULL, -1140},
            {0x9a6bb0aa55653b2dULL, -1113},
            {0xe61acf033d1a45dfULL, -1087},
            {0xab70fe17c79ac6caULL, -1060},
            {0xff77b1fcbebcdc4fULL, -1034},
            {0xbe5691ef416bd60cULL, -1007},
            {0x8dd01fad907ffc3cULL, -980},
            {0xd3515c2831559a83ULL, -954},
            {0x9d71ac8fada6c9b5ULL, -927},
            {0xea9c227723ee8bcbULL, -901},
            {0xaecc49914078536dULL, -874},
            {0x823c12795db6ce57ULL, -847},
            {0xc21094364dfb5637ULL, -821},
            {0x9096ea6f3848984fULL, -794},
            {0xd77485cb25823ac7ULL, -768},
            {0xa086cfcd97bf97f4ULL, -741},
            {0xef340a98172aace5ULL, -715},
            {0xb23867fb2a35b28eULL, -688},
            {0x84c8d4dfd2c63f3bULL, -661},
            {0xc5dd44271ad3cdbaULL, -635},
            {0x936b9fcebb25c996ULL, -608},
            {0xdbac6c247d62a584ULL, -582},
            {0xa3ab66580d5fdaf6ULL, -555},
            {0xf3e2f893dec3f126ULL, -529},
            {0xb5b5ada8aaff80b8ULL, -502},
            {0x87625f056c7c4a8bULL, -475},
            {0xc9bcff6034c13053ULL, -449},
            {0x964e858c91ba2655ULL, -422},
            {0xdff9772470297ebdULL, -396},
            {0xa6dfbd9fb8e5b88fULL, -369},
            {0xf8a95fcf88747d94ULL, -343},
            {0xb94470938fa89bcfULL, -316},
            {0x8a08f0f8bf0f156bULL, -289},
            {0xcdb02555653131b6ULL, -263},
            {0x993fe2c6d07b7facULL, -236},
            {0xe45c10c42a2b3b06ULL, -210},
            {0xaa242499697392d3ULL, -183},
            {0xfd87b5f28300ca0eULL, -157},
            {0xbce5086492111aebULL, -130},
            {0x8cbccc096f5088ccULL, -103},
            {0xd1b71758e219652cULL, -77},
            {0x9c40000000000000ULL, -50},
            {0xe8d4a51000000000ULL, -24},
            {0xad78ebc5ac620000ULL, 3},
            {0x813f3978f8940984ULL, 30},
            {0xc097ce7bc90715b3ULL, 56},
            {0x8f7e32ce7bea5c70ULL, 83},
            {0xd5d238a4abe98068ULL, 109},
            {0x9f4f2726179a2245ULL, 136},
            {0xed63a231d4c4fb27ULL, 162},
            {0xb0de65388cc8ada8ULL, 189},
            {0x83c7088e1aab65dbULL, 216},
            {0xc45d1df942711d9aULL, 242},
            {0x924d692ca61be758ULL, 269},
            {0xda01ee641a708deaULL, 295},
            {0xa26da3999aef774aULL, 322},
            {0xf209787bb47d6b85ULL, 348},
            {0xb454e4a179dd1877ULL, 375},
            {0x865b86925b9bc5c2ULL, 402},
            {0xc83553c5c8965d3dULL, 428},
            {0x952ab45cfa97a0b3ULL, 455},
            {0xde469fbd99a05fe3ULL, 481},
            {0xa59bc234db398c25ULL, 508},
            {0xf6c69a72a3989f5cULL, 534},
            {0xb7dcbf5354e9beceULL, 561},
            {0x88fcf317f22241e2ULL, 588},
            {0xcc20ce9bd35c78a5ULL, 614},
            {0x98165af37b2153dfULL, 641},
            {0xe2a0b5dc971f303aULL, 667},
            {0xa8d9d1535ce3b396ULL, 694},
            {0xfb9b7cd9a4a7443cULL, 720},
            {0xbb764c4ca7a44410ULL, 747},
            {0x8bab8eefb6409c1aULL, 774},
            {0xd01fef10a657842cULL, 800},
            {0x9b10a4e5e9913129ULL, 827},
            {0xe7109bfba19c0c9dULL, 853},
            {0xac2820d9623bf429ULL, 880},
            {0x80444b5e7aa7cf85ULL, 907},
            {0xbf21e44003acdd2dULL, 933},
            {0x8e679c2f5e44ff8fULL, 960},
            {0xd433179d9c8cb841ULL, 986},
            {0x9e19db92b4e31ba9ULL, 1013},
            {0xeb96bf6ebadf77d9ULL, 1039},
            {0xaf87023b9bf0ee6bULL, 1066}
    };

    static inline uint64_t cf_mul(uint64_t a, uint64_t b) {
        /* The upper 64 bits of a * b, rounded (DiyFp::Times). */
        unsigned __int128 p = (unsigned __int128)a * b;
        return (uint64_t)((p + ((unsigned __int128)1 << 63)) >> 64);
    }

    static int cf_round_weed(char *buffer, int length, uint64_t distance_too_high_w,
                             uint64_t unsafe_interval, uint64_t rest, uint64_t ten_kappa,
                             uint64_t unit) {
        uint64_t small_distance = distance_too_high_w - unit;
        uint64_t big_distance = distance_too_high_w + unit;
        while (rest < small_distance && unsafe_interval - rest >= ten_kappa &&
               (rest + ten_kappa < small_distance ||
                small_distance - rest >= rest + ten_kappa - small_distance)) {
            buffer[length - 1]--;
            rest += ten_kappa;
        }
        if (rest < big_distance && unsafe_interval - rest >= ten_kappa &&
            (rest + ten_kappa < big_distance ||
             big_distance - rest > rest + ten_kappa - big_distance)) {
            return 0;
        }
        return (2 * unit <= rest) && (rest <= unsafe_interval - 4 * unit);
    }

    /* Digits of a positive normal double into buffer (at least 20 chars): their count,
       with v = digits * 10^(*dexp); 0 when Grisu3 cannot vouch for them. */
    static int cf_grisu3(double v, char *buffer, int *dexp) {
        uint64_t bits;
        memcpy(&bits, &v, 8);
        int be = (int)((bits >> 52) & 0x7FF);
        if (be == 0 || be == 0x7FF || (bits >> 63)) return 0;
        uint64_t frac = bits & 0xFFFFFFFFFFFFFULL;
        uint64_t f = frac | (1ULL << 52);
        int e = be - 1075;
        cf_fp w = {f << 11, e - 11};
        cf_fp mp = {((f << 1) + 1) << 10, e - 11};
        cf_fp mm;
        if (frac == 0 && be > 1) {  /* the lower neighbour is closer */
            mm.f = (f << 2) - 1;
            mm.e = e - 2;
        } else {
            mm.f = (f << 1) - 1;
            mm.e = e - 1;
        }
        mm.f <<= (mm.e - mp.e);
        mm.e = mp.e;
        /* A cached power that brings the scaled exponent into [-60, -32]. */
        int min_e = -60 - (w.e + 64), max_e = -32 - (w.e + 64);
        int k = (int)ceil((min_e + 63) * 0.30102999566398114);
        int idx = (348 + k - 1) / 8 + 1;
        if (idx < 0 || idx >= 87) return 0;
        if (cf_pow10[idx].e < min_e || cf_pow10[idx].e > max_e) return 0;
        int mk = -348 + 8 * idx;
        uint64_t cf = cf_pow10[idx].f;
        int se = w.e + cf_pow10[idx].e + 64;
        uint64_t sw = cf_mul(w.f, cf), slow = cf_mul(mm.f, cf), shigh = cf_mul(mp.f, cf);
        /* DigitGen */
        uint64_t unit = 1;
        uint64_t too_low = slow - unit, too_high = shigh + unit;
        uint64_t unsafe_interval = too_high - too_low;
        int shift = -se;
        uint64_t one = 1ULL << shift;
        uint32_t integrals = (uint32_t)(too_high >> shift);
        uint64_t fractionals = too_high & (one - 1);
        uint32_t divisor = 1;
        int kappa = 1;
        while (divisor <= integrals / 10) {
            divisor *= 10;
            kappa++;
        }
        int length = 0;
        while (kappa > 0) {
            buffer[length++] = (char)('0' + integrals / divisor);
            integrals %= divisor;
            kappa--;
            uint64_t rest = ((uint64_t)integrals << shift) + fractionals;
            if (rest < unsafe_interval) {
                *dexp = kappa - mk;
                return cf_round_weed(buffer, length, too_high - sw, unsafe_interval, rest,
                                     (uint64_t)divisor << shift, unit) ? length : 0;
            }
            divisor /= 10;
        }
        for (;;) {
            fractionals *= 10;
            unit *= 10;
            unsafe_interval *= 10;
            buffer[length++] = (char)('0' + (int)(fractionals >> shift));
            fractionals &= one - 1;
            kappa--;
            if (fractionals < unsafe_interval) {
                *dexp = kappa - mk;
                return cf_round_weed(buffer, length, (too_high - sw) * unit, unsafe_interval,
                                     fractionals, one, unit) ? length : 0;
            }
            if (length >= 18) return 0;
        }
    }

    /* repr(x) for a finite x, as float.__repr__ writes it, into out (at least 32 chars):
       its length, or 0 when Grisu3 gave up (then PyOS_double_to_string is the way). */
    static int cf_float_repr(double x, char *out) {
        char d[24];
        int dexp = 0, n = 0, i;
        if (x == 0.0) {
            if (signbit(x)) { memcpy(out, "-0.0", 4); return 4; }
            memcpy(out, "0.0", 3);
            return 3;
        }
        if (x < 0) { out[n++] = '-'; x = -x; }
        int len = cf_grisu3(x, d, &dexp);
        if (len == 0) return 0;
        int decpt = len + dexp;  /* x = 0.DIGITS * 10^decpt */
        if (decpt <= -4 || decpt > 16) {
            int exp = decpt - 1;
            out[n++] = d[0];
            if (len > 1) {
                out[n++] = '.';
                memcpy(out + n, d + 1, (size_t)(len - 1));
                n += len - 1;
            }
            out[n++] = 'e';
            out[n++] = exp < 0 ? '-' : '+';
            if (exp < 0) exp = -exp;
            if (exp >= 100) { out[n++] = (char)('0' + exp / 100); exp %= 100; out[n++] = (char)('0' + exp / 10); }
            else { out[n++] = (char)('0' + exp / 10); }
            out[n++] = (char)('0' + exp % 10);
        } else if (decpt <= 0) {
            out[n++] = '0';
            out[n++] = '.';
            for (i = 0; i < -decpt; i++) out[n++] = '0';
            memcpy(out + n, d, (size_t)len);
            n += len;
        } else if (decpt < len) {
            memcpy(out + n, d, (size_t)decpt);
            n += decpt;
            out[n++] = '.';
            memcpy(out + n, d + decpt, (size_t)(len - decpt));
            n += len - decpt;
        } else {
            memcpy(out + n, d, (size_t)len);
            n += len;
            for (i = len; i < decpt; i++) out[n++] = '0';
            out[n++] = '.';
            out[n++] = '0';
        }
        return n;
    }
    """
    int cf_float_repr(double x, char* out)


def float_repr(x: float) -> object:
    """repr(x) by the compiled writer's fast path, or None where it leaves x to
    PyOS_double_to_string (not finite, subnormal, or a case Grisu3 cannot vouch for)."""
    cdef char out[40]
    cdef double v = x
    cdef int n
    if not isfinite(v):
        return None
    n = cf_float_repr(v, out)
    if n == 0:
        return None
    return PyUnicode_FromStringAndSize(out, n)


cdef struct Buf:
    char* data
    Py_ssize_t n
    Py_ssize_t cap


cdef int _grow(Buf* b, Py_ssize_t extra) except -1:
    cdef Py_ssize_t cap = b.cap
    cdef void* p
    while cap < b.n + extra:
        cap = cap * 2 if cap else 1024
    p = PyMem_Realloc(b.data, <size_t>cap)
    if p == NULL:
        raise MemoryError()
    b.data = <char*>p
    b.cap = cap
    return 0


cdef inline int _reserve(Buf* b, Py_ssize_t extra) except -1:
    # Inline: called for every token; only a full buffer pays a call.
    if b.n + extra <= b.cap:
        return 0
    return _grow(b, extra)


cdef inline int _put(Buf* b, const char* s, Py_ssize_t n) except -1:
    _reserve(b, n)
    memcpy(b.data + b.n, s, <size_t>n)
    b.n += n
    return 0


cdef inline void _put_c(Buf* b, char c):
    """One byte into room reserved before."""
    b.data[b.n] = c
    b.n += 1


cdef int _put_ll(Buf* b, long long v) except -1:
    """``str(v)``: the digits written back to front, as snprintf's "%lld" would write
    them at several times its cost."""
    cdef char tmp[24]
    cdef int i = 24
    cdef unsigned long long u = <unsigned long long>v
    if v < 0:
        u = 0ULL - u  # two's complement magnitude, LLONG_MIN included
    while True:
        i -= 1
        tmp[i] = <char>(48 + <int>(u % 10ULL))
        u //= 10ULL
        if u == 0:
            break
    if v < 0:
        i -= 1
        tmp[i] = 45  # -
    return _put(b, tmp + i, 24 - i)


cdef const char* _HEX = "0123456789abcdef"


cdef int _put_u(Buf* b, unsigned int c) except -1:
    """\\uXXXX, as the json module's ASCII escaper writes it."""
    _reserve(b, 6)
    b.data[b.n] = 92  # backslash
    b.data[b.n + 1] = 117  # u
    b.data[b.n + 2] = _HEX[(c >> 12) & 15]
    b.data[b.n + 3] = _HEX[(c >> 8) & 15]
    b.data[b.n + 4] = _HEX[(c >> 4) & 15]
    b.data[b.n + 5] = _HEX[c & 15]
    b.n += 6
    return 0


cdef int _dump_str(Buf* b, object s) except -1:
    """json.encoder.encode_basestring_ascii(s)."""
    cdef Py_ssize_t i, n = PyUnicode_GET_LENGTH(s)
    cdef int kind = PyUnicode_KIND(s)
    cdef void* data = PyUnicode_DATA(s)
    cdef const unsigned char* ascii
    cdef unsigned char a
    cdef Py_UCS4 c
    if PyUnicode_IS_ASCII(s):
        # The usual key or id: printable ASCII without quote or backslash is copied as is.
        ascii = <const unsigned char*>data
        for i in range(n):
            a = ascii[i]
            if a < 32 or a > 126 or a == 92 or a == 34:
                break
        else:
            _reserve(b, n + 2)
            _put_c(b, 34)
            memcpy(b.data + b.n, ascii, <size_t>n)
            b.n += n
            _put_c(b, 34)
            return 0
    # At most 12 bytes a character (a surrogate pair's two \uXXXX), room made once.
    _reserve(b, 12 * n + 2)
    _put_c(b, 34)  # "
    for i in range(n):
        c = PyUnicode_READ(kind, data, i)
        if 32 <= c <= 126 and c != 92 and c != 34:
            _put_c(b, <char>c)
        elif c == 92 or c == 34:
            _put_c(b, 92)
            _put_c(b, <char>c)
        elif c == 8:
            _put(b, "\\b", 2)
        elif c == 12:
            _put(b, "\\f", 2)
        elif c == 10:
            _put(b, "\\n", 2)
        elif c == 13:
            _put(b, "\\r", 2)
        elif c == 9:
            _put(b, "\\t", 2)
        elif c >= 0x10000:
            _put_u(b, <unsigned int>Py_UNICODE_HIGH_SURROGATE(c))
            _put_u(b, <unsigned int>Py_UNICODE_LOW_SURROGATE(c))
        else:
            _put_u(b, <unsigned int>c)
    _put_c(b, 34)
    return 0


cdef int _dump(Buf* b, object obj, int depth) except -1:
    """JSON for a tree of exact dicts (str keys), lists, str, int, float, bool and None,
    as faust's json codec writes it; 1 for anything else (the caller then uses faust's)."""
    cdef long long v
    cdef int overflow = 0
    cdef char* text
    cdef double x
    cdef Py_ssize_t pos = 0, i, n
    cdef PyObject* k
    cdef PyObject* item
    cdef bint first
    if depth > 200:
        return 1
    if obj is None:
        return _put(b, "null", 4)
    if obj is True:
        return _put(b, "true", 4)
    if obj is False:
        return _put(b, "false", 5)
    if PyUnicode_CheckExact(obj):
        return _dump_str(b, obj)
    if PyLong_CheckExact(obj):
        v = PyLong_AsLongLongAndOverflow(obj, &overflow)
        if overflow:
            text_obj = repr(obj)  # int.__repr__, as the json module writes big ints
            text = <char*>PyUnicode_AsUTF8AndSize(text_obj, &n)
            return _put(b, text, n)
        return _put_ll(b, v)
    if PyFloat_CheckExact(obj):
        x = PyFloat_AS_DOUBLE(obj)
        if not isfinite(x):  # allow_nan, as faust's json
            if isnan(x):
                return _put(b, "NaN", 3)
            if x > 0:
                return _put(b, "Infinity", 8)
            return _put(b, "-Infinity", 9)
        _reserve(b, 40)
        n = cf_float_repr(x, b.data + b.n)  # float.__repr__'s bytes, mostly here
        if n:
            b.n += n
            return 0
        text = PyOS_double_to_string(x, 114, 0, Py_DTSF_ADD_DOT_0, NULL)  # float.__repr__
        try:
            _put(b, text, <Py_ssize_t>strlen(text))
        finally:
            PyMem_Free(text)
        return 0
    if PyDict_CheckExact(obj):
        _put(b, "{", 1)
        first = True
        while PyDict_Next(obj, &pos, &k, &item):
            if not PyUnicode_CheckExact(<object>k):
                return 1
            if not first:
                _put(b, ",", 1)
            first = False
            _dump_str(b, <object>k)
            _put(b, ":", 1)
            if _dump(b, <object>item, depth + 1):
                return 1
        return _put(b, "}", 1)
    if PyList_CheckExact(obj):
        _put(b, "[", 1)
        n = PyList_GET_SIZE(obj)
        for i in range(n):
            if i:
                _put(b, ",", 1)
            if _dump(b, <object>PyList_GET_ITEM(obj, i), depth + 1):
                return 1
        return _put(b, "]", 1)
    return 1


cdef class FaustJson:
    """faust's "json" bytes for a value (faust_batch.faust_json_dumps), written directly
    into one buffer instead of through the json module's chunks; values of other shapes
    (tuples, other key types, objects faust's encoder knows) go to ``fallback``."""

    cdef object fallback

    def __init__(self, fallback: object) -> None:
        self.fallback = fallback

    def __call__(self, obj: object) -> bytes:
        cdef Buf b
        cdef int rc
        b.data = NULL
        b.n = 0
        b.cap = 0
        try:
            rc = _dump(&b, obj, 0)
            if rc == 0:
                return PyBytes_FromStringAndSize(b.data, b.n)
        finally:
            PyMem_Free(b.data)
        return self.fallback(obj)

    def records(self, topic: object, writes: dict) -> list:
        """``[(topic, key bytes, value bytes or None)]`` for ``writes`` (key → last value,
        None: deleted) of a table whose keys and values are faust's json, in the dict's
        order: faust_batch.changelog_record's bytes, written into one reused buffer
        without a Python call per record (a str key as encode_basestring_ascii writes it)."""
        cdef Buf b
        cdef list out = []
        cdef Py_ssize_t pos = 0
        cdef PyObject* k
        cdef PyObject* v
        b.data = NULL
        b.n = 0
        b.cap = 0
        try:
            while PyDict_Next(writes, &pos, &k, &v):
                key = <object>k
                value = <object>v
                if PyUnicode_CheckExact(key):
                    b.n = 0
                    _dump_str(&b, key)
                    key_bytes = PyBytes_FromStringAndSize(b.data, b.n)
                else:
                    key_bytes = self(key)
                if value is None:
                    value_bytes = None
                else:
                    b.n = 0
                    if _dump(&b, value, 0) == 0:
                        value_bytes = PyBytes_FromStringAndSize(b.data, b.n)
                    else:
                        value_bytes = self.fallback(value)
                out.append((topic, key_bytes, value_bytes))
        finally:
            PyMem_Free(b.data)
        return out
