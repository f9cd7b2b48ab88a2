/*
 * Unit tests of the emulator's pure parts: the JavaScript semantics
 * (jsval.c), the request handler on an in-memory VM (proto.c, vm.c) and
 * --fault parsing (faults.c). The integration tests (test_*.py) cover the
 * same rules over real streams; these pin the corner cases cheaply.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "jsval.h"
#include "proto.h"
#include "testutil.h"
#include "vm.h"

/* ---- jsval ------------------------------------------------------------- */

static void check_number(double v, const char *want)
{
    buf_t b = {0};

    emu_js_number(v, &b);
    CU_ASSERT_STRING_EQUAL(buf_cstr(&b), want);
    buf_free(&b);
}

static void test_number_to_string(void)
{
    check_number(0, "0");
    check_number(-0.0, "0");
    check_number(1, "1");
    check_number(512, "512");
    check_number(-2.5, "-2.5");
    check_number(0.1, "0.1");
    check_number(0.1 + 0.2, "0.30000000000000004");
    check_number(100, "100");
    check_number(1e20, "100000000000000000000");
    check_number(1e21, "1e+21");
    check_number(12345678901234567890.0, "12345678901234567000");
    check_number(0.000001, "0.000001");
    check_number(1e-7, "1e-7");
    check_number(123e-20, "1.23e-18");
    check_number(1.7976931348623157e308, "1.7976931348623157e+308");
    check_number(5e-324, "5e-324");
    check_number(NAN, "NaN");
    check_number(-INFINITY, "-Infinity");
}

static void test_string_to_number(void)
{
    static const char *const numbers[] = {
        "", "  ", "12", " 12 ", "1e5", "1E+5", "0x1F", "0b101", "0o17",
        "Infinity", "-Infinity", ".5", "5.", "-0", "\xc2\xa0" "1\xe2\x80\xa8",
        NULL};
    static const char *const nans[] = {"abc", "1,2", "0x", "1e", "+-1",
                                       "--1", ".", "infinity", "0xg",
                                       "true", "1 2", NULL};
    int i;

    for (i = 0; numbers[i] != NULL; i++)
        CU_ASSERT_FALSE(emu_js_string_is_nan(numbers[i], strlen(numbers[i])));
    for (i = 0; nans[i] != NULL; i++)
        CU_ASSERT_TRUE(emu_js_string_is_nan(nans[i], strlen(nans[i])));
}

static void check_sanitize(const char *in, const char *want)
{
    buf_t b = {0};

    emu_utf8_sanitize((const uint8_t *)in, strlen(in), &b);
    CU_ASSERT_STRING_EQUAL(buf_cstr(&b), want);
    buf_free(&b);
}

#define FFFD "\xef\xbf\xbd"

static void test_utf8_like_node(void)
{
    check_sanitize("plain", "plain");
    check_sanitize("k\xc3\xa9y", "k\xc3\xa9y");
    check_sanitize("k\xc3", "k" FFFD);             /* cut at the end */
    check_sanitize("\xa9y", FFFD "y");             /* lone continuation */
    check_sanitize("\xe2\x82", FFFD);              /* one maximal subpart */
    check_sanitize("\xed\xa0\x80", FFFD FFFD FFFD); /* a surrogate */
    check_sanitize("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");
    check_sanitize("\xf0\x9f\x98", FFFD);
    check_sanitize("\xc0\xaf", FFFD FFFD);         /* overlong */
    check_sanitize("a\x80" "b\xff", "a" FFFD "b" FFFD);
}

static void test_lengths_and_low_bytes(void)
{
    buf_t b = {0};
    const char *s = "a\xc3\xa9\xf0\x9f\x98\x80"; /* a, U+00E9, U+1F600 */

    CU_ASSERT_EQUAL(emu_js_length(s, strlen(s)), 4);
    emu_js_lowbytes(s, strlen(s), &b);
    TU_ASSERT_MEM_EQ(b.p, b.len, "a\xe9\x3d\x00", 4);
    buf_free(&b);
    CU_ASSERT_EQUAL(emu_js_rtrim("ab \t\r", 5), 2);
    CU_ASSERT_EQUAL(emu_js_rtrim("ab\xe2\x80\xa8", 5), 2);
    CU_ASSERT_EQUAL(emu_js_ltrim("\xc2\xa0 x", 4), 3);
}

static void test_key_order_and_stringify(void)
{
    json_t *o = json_loads("{\"b\":1,\"2\":[],\"a\":{},\"1\":null,\"01\":"
                           "\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u007f/\\u00e9\"}",
                           JSON_DECODE_INT_AS_REAL, NULL);
    buf_t b = {0};

    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    emu_js_stringify(o, 0, &b);
    CU_ASSERT_STRING_EQUAL(buf_cstr(&b),
                           "{\"1\":null,\"2\":[],\"b\":1,\"a\":{},\"01\":"
                           "\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001\x7f/\xc3\xa9\"}");
    b.len = 0;
    json_object_del(o, "01");
    emu_js_stringify(o, 2, &b);
    CU_ASSERT_STRING_EQUAL(buf_cstr(&b), "{\n  \"1\": null,\n  \"2\": [],\n"
                                         "  \"b\": 1,\n  \"a\": {}\n}");
    buf_free(&b);
    json_decref(o);
}

static void test_join(void)
{
    json_t *a = json_loads("[1,\"x\",null,[2,[3]],true,{}]",
                           JSON_DECODE_INT_AS_REAL, NULL);
    buf_t b = {0};

    emu_js_join(a, &b);
    CU_ASSERT_STRING_EQUAL(buf_cstr(&b), "1,x,,2,3,true,[object Object]");
    buf_free(&b);
    json_decref(a);
}

/* ---- the handler on an in-memory VM ------------------------------------ */

static vm_t test_vm;

static int vm_setup(void)
{
    test_vm.obj = json_loads(
        "{\"hostname\":\"web01\",\"alias\":null,\"ram\":512,"
        "\"internal_metadata_namespaces\":[\"foo\"],"
        "\"customer_metadata\":{\"dotty\":\".a\\n.\",\"empty\":\"\","
        "\"cr\":\"x\\r.y\"},"
        "\"internal_metadata\":{\"foo:k\":\"int\"},"
        "\"tags\":{\"role\":\"db\",\"valueOf\":7,\"__proto__\":\"p\"}}",
        JSON_DECODE_INT_AS_REAL, NULL);
    return test_vm.obj == NULL;
}

static int vm_teardown(void)
{
    vm_free(&test_vm);
    return 0;
}

static void check_line(const char *line, host_action_t action,
                       const char *want)
{
    host_opts_t opts = {0};
    host_out_t out;

    memset(&out, 0, sizeof(out));
    host_handle_line(&test_vm, &opts, line, strlen(line), &out);
    CU_ASSERT_EQUAL(out.action, action);
    if (want != NULL && action == HOST_REPLY)
        CU_ASSERT_STRING_EQUAL(buf_cstr(&out.reply), want);
    host_out_clear(&out);
}

static void test_handler_v1(void)
{
    check_line("", HOST_REPLY, "invalid command\n");
    check_line(" GET hostname", HOST_REPLY, "invalid command\n");
    check_line("GET  \t", HOST_REPLY, "invalid command\n");
    check_line("NEGOTIATE V2", HOST_REPLY, "V2_OK\n");
    check_line("NEGOTIATE V2x", HOST_REPLY, "FAILURE\n");
    check_line("GET sdc:hostname", HOST_REPLY, "SUCCESS\nweb01\n.\n");
    check_line("GET sdc:ram", HOST_REPLY, "SUCCESS\n512\n.\n");
    check_line("GET dotty", HOST_REPLY, "SUCCESS\n..a\n..\n.\n");
    check_line("GET cr", HOST_REPLY, "SUCCESS\nx\r..y\n.\n");
    check_line("GET empty", HOST_REPLY, "SUCCESS\n\n.\n");
    check_line("GET foo:k", HOST_REPLY, "SUCCESS\nint\n.\n");
    check_line("GET a\rb", HOST_REPLY, "NOTFOUND\n"); /* key is "a" */
    check_line("GET  \rb", HOST_REPLY, "FAILURE\n");  /* key is blank */
    check_line("GET sdc:alias", HOST_CRASH, NULL);
    check_line("KEYS", HOST_REPLY, "SUCCESS\ndotty\nempty\ncr\nfoo:k\n.\n");
}

static void test_handler_v2(void)
{
    check_line("V2 29 838a0962 abcdef12 GET c2RjOmhvc3RuYW1l", HOST_REPLY,
               "V2 25 c02a042a abcdef12 SUCCESS d2ViMDE=\n");
    check_line("V2 29 838a0962 abcdef12 GET c2RjOmhvc3RuYW1l  ", HOST_REPLY,
               "V2 25 c02a042a abcdef12 SUCCESS d2ViMDE=\n");
    check_line("V2 29 838a0962 abcdef12 GET c2RjOmhvc3RuYW1l\rjunk",
               HOST_REPLY, "V2 25 c02a042a abcdef12 SUCCESS d2ViMDE=\n");
    check_line("V2 29 838A0962 abcdef12 GET c2RjOmhvc3RuYW1l", HOST_SILENT,
               NULL);
    check_line("V2 13 f5864f1e 0000001e GET ", HOST_SILENT, NULL);
    check_line("V2 25 63d826e2 abcdef12 PUT YXc9PSBkZz09", HOST_DEFERRED,
               NULL);
    check_line("V2 20 d38c4746 abcdef12 DELETE aw==", HOST_DEFERRED, NULL);
}

static void test_update(void)
{
    host_opts_t opts = {0};
    host_out_t out;
    buf_t reply = {0};

    memset(&out, 0, sizeof(out));
    host_handle_line(&test_vm, &opts,
                     "V2 25 63d826e2 abcdef12 PUT YXc9PSBkZz09", 40, &out);
    CU_ASSERT_EQUAL_FATAL(out.action, HOST_DEFERRED);
    check_line("GET k", HOST_REPLY, "NOTFOUND\n"); /* not applied yet */
    host_finish_update(&test_vm, &out.upd, &reply);
    CU_ASSERT_STRING_EQUAL(buf_cstr(&reply),
                           "V2 21 c9fe4e1e abcdef12 SUCCESS T0s=\n");
    check_line("GET k", HOST_REPLY, "SUCCESS\nv\n.\n");
    buf_free(&reply);
    host_out_clear(&out);
}

/*
 * sdc:tags.<name> is an own-property lookup on the real agent: names that
 * only Object.prototype has are NOTFOUND there, while the same names in the
 * metadata stores answer FAILURE (a function is not a value).
 */
static void test_tags_own_only(void)
{
    static const char *const inherited[] = {
        "constructor", "toString", "hasOwnProperty", "isPrototypeOf",
        "propertyIsEnumerable", "toLocaleString", "__defineGetter__",
        "__lookupSetter__", "length",
    };
    size_t i;

    for (i = 0; i < sizeof(inherited) / sizeof(inherited[0]); i++) {
        char line[80];

        snprintf(line, sizeof(line), "GET sdc:tags.%s", inherited[i]);
        check_line(line, HOST_REPLY, "NOTFOUND\n");
        snprintf(line, sizeof(line), "GET %s", inherited[i]);
        if (strcmp(inherited[i], "length") != 0)
            check_line(line, HOST_REPLY, "FAILURE\n");
    }
    /* own members of those names are plain tags */
    check_line("GET sdc:tags.valueOf", HOST_REPLY, "SUCCESS\n7\n.\n");
    check_line("GET sdc:tags.__proto__", HOST_REPLY, "SUCCESS\np\n.\n");
    check_line("GET sdc:tags.role", HOST_REPLY, "SUCCESS\ndb\n.\n");
    check_line("GET sdc:tags.none", HOST_REPLY, "NOTFOUND\n");
    /* VM.flatten's tags.<name> is the inheriting lookup */
    check_line("GET sdc:customer_metadata.constructor", HOST_REPLY,
               "FAILURE\n");
}

static void test_get_own(void)
{
    json_t *a = json_loads("[\"x\",\"y\"]", 0, NULL);
    json_t *s = json_string("abc");
    jsv_t v;

    v = emu_js_get_own(a, "1", 1);
    CU_ASSERT_EQUAL(v.kind, JSV_JSON);
    emu_jsv_clear(&v);
    v = emu_js_get_own(a, "length", 6); /* own on arrays */
    CU_ASSERT_EQUAL(v.kind, JSV_JSON);
    emu_jsv_clear(&v);
    CU_ASSERT_EQUAL(emu_js_get_own(a, "__proto__", 9).kind, JSV_UNDEFINED);
    CU_ASSERT_EQUAL(emu_js_get_own(a, "push", 4).kind, JSV_UNDEFINED);
    CU_ASSERT_EQUAL(emu_js_get_own(a, "2", 1).kind, JSV_UNDEFINED);
    v = emu_js_get_own(s, "0", 1);
    CU_ASSERT_EQUAL(v.kind, JSV_JSON);
    emu_jsv_clear(&v);
    CU_ASSERT_EQUAL(emu_js_get_own(s, "trim", 4).kind, JSV_UNDEFINED);
    CU_ASSERT_EQUAL(emu_js_get_own(s, "valueOf", 7).kind, JSV_UNDEFINED);
    json_decref(a);
    json_decref(s);
}

static void test_long_reqid(void)
{
    buf_t b = {0};

    host_format_v2("0123456789abcdef0123", "NOTFOUND", NULL, 0, &b);
    CU_ASSERT_STRING_EQUAL(buf_cstr(&b),
                           "V2 29 a37f9d75 0123456789abcdef0123 NOTFOUND\n");
    buf_free(&b);
}

/* ---- faults ------------------------------------------------------------ */

static void test_fault_specs(void)
{
    fault_cfg_t cfg;
    char err[256];

    memset(&cfg, 0, sizeof(cfg));
    CU_ASSERT_EQUAL(fault_parse(&cfg, "drop=3,crlf,bytewise", err,
                                sizeof(err)), 0);
    CU_ASSERT_EQUAL(fault_parse(&cfg, "delay=0,ignore-probes=2,v1only", err,
                                sizeof(err)), 0);
    CU_ASSERT_EQUAL(cfg.drop, 3);
    CU_ASSERT_TRUE(cfg.crlf && cfg.v1only && cfg.bytewise);
    CU_ASSERT_EQUAL(cfg.bytewise_gap, 1);
    CU_ASSERT_EQUAL(cfg.ignore_probes, 2);
    CU_ASSERT_EQUAL(fault_parse(&cfg, "drop=0", err, sizeof(err)), -1);
    CU_ASSERT_EQUAL(fault_parse(&cfg, "drop", err, sizeof(err)), -1);
    CU_ASSERT_EQUAL(fault_parse(&cfg, "crlf=1", err, sizeof(err)), -1);
    CU_ASSERT_EQUAL(fault_parse(&cfg, "hangup=-1", err, sizeof(err)), -1);
    CU_ASSERT_EQUAL(fault_parse(&cfg, "nope", err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown fault"));
    CU_ASSERT_EQUAL(fault_parse(&cfg, "slow=3500,damaged=2,upper-crc", err,
                                sizeof(err)), 0);
    CU_ASSERT_EQUAL(cfg.slow_ms, 3500);
    CU_ASSERT_EQUAL(cfg.damaged, 2);
    CU_ASSERT_TRUE(cfg.upper_crc);
    CU_ASSERT_EQUAL(fault_parse(&cfg, "upper-crc=1", err, sizeof(err)), -1);
    CU_ASSERT_EQUAL(fault_parse(&cfg, "damaged=0", err, sizeof(err)), -1);
    CU_ASSERT_EQUAL(fault_parse(&cfg, "slow", err, sizeof(err)), -1);
    /* slow delays V2 replies only; delay adds to it */
    cfg.delay_ms = 10;
    CU_ASSERT_EQUAL(fault_reply_delay(&cfg, 1), 3510);
    CU_ASSERT_EQUAL(fault_reply_delay(&cfg, 0), 10);
}

/* v1-slow: nothing until a V1 GET or KEYS, then one answer after another */
static void test_fault_v1_slow(void)
{
    fault_cfg_t cfg;
    fault_state_t st;
    char err[256];

    memset(&cfg, 0, sizeof(cfg));
    memset(&st, 0, sizeof(st));
    CU_ASSERT_EQUAL(fault_parse(&cfg, "v1-slow=500", err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(cfg.v1_slow_ms, 500);
    CU_ASSERT_EQUAL(fault_parse(&cfg, "v1-slow", err, sizeof(err)), -1);
    CU_ASSERT_EQUAL(fault_v1_line_delay(&cfg, &st, "", 0, 1000), 0);
    CU_ASSERT_EQUAL(fault_v1_line_delay(&cfg, &st, "NEGOTIATE V2", 12, 1000),
                    0);
    CU_ASSERT_EQUAL(fault_v1_line_delay(&cfg, &st, "GET k", 5, 1000), 500);
    CU_ASSERT_EQUAL(fault_v1_line_delay(&cfg, &st, "", 0, 1100), 900);
    CU_ASSERT_EQUAL(fault_v1_line_delay(&cfg, &st, "KEYS", 4, 1200), 1300);
    /* the host caught up: the next line waits its own time only */
    CU_ASSERT_EQUAL(fault_v1_line_delay(&cfg, &st, "", 0, 9000), 500);
    cfg.v1_slow_ms = 0;
    CU_ASSERT_EQUAL(fault_v1_line_delay(&cfg, &st, "GET k", 5, 9000), 0);
}

static void test_fault_shaping(void)
{
    fault_cfg_t cfg;
    fault_state_t st;
    const char *r = "V2 17 ee6c7f16 abcdef12 NOTFOUND\n";
    buf_t w = {0};
    int hang, i;

    memset(&cfg, 0, sizeof(cfg));
    memset(&st, 0, sizeof(st));
    cfg.corrupt = 2;
    cfg.hangup = 3;
    for (i = 1; i <= 3; i++) {
        w.len = 0;
        fault_shape_reply(&cfg, &st, r, strlen(r), 1, "abcdef12", &w, &hang);
        CU_ASSERT_EQUAL(w.len, strlen(r));
        CU_ASSERT_EQUAL(memcmp(w.p, r, w.len) != 0, i == 2);
        CU_ASSERT_EQUAL(hang, i == 3);
    }
    buf_free(&w);
}

/* damaged=N: a copy with the last body byte lost, then the reply; with
 * upper-crc both carry their CRC in upper case. */
static void test_fault_damaged_copy_upper_crc(void)
{
    fault_cfg_t cfg;
    fault_state_t st;
    const char *r = "V2 21 c9fe4e1e abcdef12 SUCCESS T0s=\n";
    const char *want = "V2 21 C9FE4E1E abcdef12 SUCCESS T0s\n"
                       "V2 21 C9FE4E1E abcdef12 SUCCESS T0s=\n";
    buf_t w = {0};
    int hang;

    memset(&cfg, 0, sizeof(cfg));
    memset(&st, 0, sizeof(st));
    cfg.damaged = 2;
    fault_shape_reply(&cfg, &st, r, strlen(r), 1, "abcdef12", &w, &hang);
    CU_ASSERT_EQUAL(w.len, strlen(r));
    CU_ASSERT(memcmp(w.p, r, w.len) == 0);
    cfg.upper_crc = 1;
    w.len = 0;
    fault_shape_reply(&cfg, &st, r, strlen(r), 1, "abcdef12", &w, &hang);
    CU_ASSERT_EQUAL(w.len, strlen(want));
    CU_ASSERT(w.len == strlen(want) && memcmp(w.p, want, w.len) == 0);
    /* V1 text is never touched */
    w.len = 0;
    fault_shape_reply(&cfg, &st, "V2 1 abcdef12\n", 14, 0, NULL, &w, &hang);
    CU_ASSERT(w.len == 14 && memcmp(w.p, "V2 1 abcdef12\n", 14) == 0);
    buf_free(&w);
}

static CU_TestInfo jsval_tests[] = {
    {"number_to_string", test_number_to_string},
    {"string_to_number", test_string_to_number},
    {"utf8_like_node", test_utf8_like_node},
    {"lengths_and_low_bytes", test_lengths_and_low_bytes},
    {"key_order_and_stringify", test_key_order_and_stringify},
    {"join", test_join},
    {"get_own", test_get_own},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo handler_tests[] = {
    {"v1", test_handler_v1},
    {"v2", test_handler_v2},
    {"update", test_update},
    {"tags_own_only", test_tags_own_only},
    {"long_reqid", test_long_reqid},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo fault_tests[] = {
    {"specs", test_fault_specs},
    {"v1_slow", test_fault_v1_slow},
    {"shaping", test_fault_shaping},
    {"damaged_copy_upper_crc", test_fault_damaged_copy_upper_crc},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo mdata_test_suites[] = {
    {"jsval", NULL, NULL, NULL, NULL, jsval_tests},
    {"handler", vm_setup, vm_teardown, NULL, NULL, handler_tests},
    {"faults", NULL, NULL, NULL, NULL, fault_tests},
    CU_SUITE_INFO_NULL,
};
