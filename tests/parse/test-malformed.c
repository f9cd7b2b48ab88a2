/*
 * A table of malformed documents, each with the code and the exact
 * message (JSON path first) it must give, and no object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "suites.h"
#include "testutil.h"

enum { NICS, ROUTES, RESOLVERS };

static const struct {
    int parser;
    const char *doc;
    int code;
    const char *message;
} bad[] = {
    /* Not JSON, or not the expected top-level shape. */
    /* Syntax errors carry jansson's own words after the position, so only
     * the part written here is compared ("*" ends a prefix match). */
    {NICS, "", MDATA_EJSON, "nics: empty document, expected a JSON array"},
    {NICS, " \r\n\t", MDATA_EJSON,
     "nics: empty document, expected a JSON array"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\"}", MDATA_EJSON,
     "nics: invalid JSON at line 1 column *"},
    {NICS, "[] x", MDATA_EJSON, "nics: invalid JSON at line 1 column 4: *"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"mac\":\"aa:bb:cc:dd:ee:fe\"}]",
     MDATA_EJSON,
     "nics: invalid JSON at line 1 column 33: duplicate object key*"},
    {NICS, "[\"a\\u0000b\"]", MDATA_EJSON,
     "nics: invalid JSON at line 1 column *"},
    {NICS, "NOTFOUND", MDATA_EJSON, "nics: invalid JSON at line 1 column *"},
    {NICS, "{\"interface\":\"net0\"}", MDATA_EJSON,
     "nics: expected an array, got an object"},
    {NICS, "null", MDATA_EJSON, "nics: expected an array, got null"},
    {NICS, "\"[]\"", MDATA_EJSON, "nics: expected an array, got a string"},
    {NICS, "[[]]", MDATA_EJSON, "nics[0]: expected an object, got an array"},
    {NICS, "[true]", MDATA_EJSON, "nics[0]: expected an object, got a boolean"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\"},false]", MDATA_EJSON,
     "nics[1]: expected an object, got a boolean"},
    /* Per-field syntax and types. */
    {NICS, "[{\"interface\":\"net0\"}]", MDATA_EJSON,
     "nics[0]: missing \"mac\""},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\"},{\"mac\":\"zz\"}]", MDATA_EJSON,
     "nics[1].mac: \"zz\" is not a MAC address"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee\"}]", MDATA_EJSON,
     "nics[0].mac: \"aa:bb:cc:dd:ee\" is not a MAC address"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff:00\"}]", MDATA_EJSON,
     "nics[0].mac: \"aa:bb:cc:dd:ee:ff:00\" is not a MAC address"},
    {NICS, "[{\"mac\":\"aabb.ccdd.eeff\"}]", MDATA_EJSON,
     "nics[0].mac: \"aabb.ccdd.eeff\" is not a MAC address"},
    {NICS, "[{\"mac\":1}]", MDATA_EJSON,
     "nics[0].mac: expected a string, got an integer"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"interface\":0}]", MDATA_EJSON,
     "nics[0].interface: expected a string, got an integer"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"vlan_id\":\"324\"}]", MDATA_EJSON,
     "nics[0].vlan_id: expected an integer, got a string"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"vlan_id\":4096}]", MDATA_ERANGE,
     "nics[0].vlan_id: 4096 is out of range 0..4095"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"mtu\":1500.0}]", MDATA_EJSON,
     "nics[0].mtu: expected an integer, got a real number"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"mtu\":65536}]", MDATA_ERANGE,
     "nics[0].mtu: 65536 is out of range 68..65535"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"mtu\":-1}]", MDATA_ERANGE,
     "nics[0].mtu: -1 is out of range 68..65535"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"primary\":\"true\"}]",
     MDATA_EJSON, "nics[0].primary: expected a boolean, got a string"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"allow_ip_spoofing\":1}]",
     MDATA_EJSON,
     "nics[0].allow_ip_spoofing: expected a boolean, got an integer"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"network_uuid\":\"992fc7ce\"}]",
     MDATA_EJSON, "nics[0].network_uuid: \"992fc7ce\" is not a UUID"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"vrrp_vrid\":256}]", MDATA_ERANGE,
     "nics[0].vrrp_vrid: 256 is out of range 0..255"},
    {NICS,
     "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"vrrp_primary_ip\":\"10.0.0.1/24\"}]",
     MDATA_EJSON,
     "nics[0].vrrp_primary_ip: \"10.0.0.1/24\" must be an address without a "
     "prefix length"},
    /* ips. */
    {NICS,
     "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"ips\":[\"10.0.0.1/24\"]},"
     "{\"mac\":\"aa:bb:cc:dd:ee:fe\",\"ips\":[\"10.0.0/24\"]}]",
     MDATA_EJSON, "nics[1].ips[0]: \"10.0.0/24\" is not an address"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"ips\":\"10.0.0.1/24\"}]",
     MDATA_EJSON, "nics[0].ips: expected an array, got a string"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"ips\":[\"10.0.0.1/24\",5]}]",
     MDATA_EJSON, "nics[0].ips[1]: expected an address string, got an integer"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"ips\":[\"10.0.0.1\"]}]",
     MDATA_EJSON, "nics[0].ips[0]: \"10.0.0.1\" has no prefix length"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"ips\":[\"10.0.0.1/33\"]}]",
     MDATA_EJSON,
     "nics[0].ips[0]: \"10.0.0.1/33\" has a prefix length above 32"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"ips\":[\"2001::1/129\"]}]",
     MDATA_EJSON,
     "nics[0].ips[0]: \"2001::1/129\" has a prefix length above 128"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"ips\":[\"DHCP\"]}]", MDATA_EJSON,
     "nics[0].ips[0]: \"DHCP\" is not an address"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"ips\":[\"fe80::1%net0/64\"]}]",
     MDATA_EJSON, "nics[0].ips[0]: \"fe80::1%net0/64\" is not an address"},
    /* gateways. */
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"gateways\":[\"10.0.0.1/24\"]}]",
     MDATA_EJSON,
     "nics[0].gateways[0]: \"10.0.0.1/24\" must be an address without a "
     "prefix length"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"gateways\":[\"dhcp\"]}]",
     MDATA_EJSON, "nics[0].gateways[0]: \"dhcp\" is not an address"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"gateway\":\"10.0.0\"}]",
     MDATA_EJSON, "nics[0].gateway: \"10.0.0\" is not an address"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"gateway\":[\"10.0.0.1\"]}]",
     MDATA_EJSON, "nics[0].gateway: expected a string, got an array"},
    /* Legacy ip/netmask (only read without ips). */
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"ip\":\"10.0.0.1\"}]",
     MDATA_EJSON, "nics[0]: \"ip\" without \"netmask\""},
    {NICS,
     "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"ip\":\"10.0.0.1\",\"netmask\":"
     "\"255.0.255.0\"}]",
     MDATA_EJSON, "nics[0].netmask: \"255.0.255.0\" is not a netmask"},
    {NICS,
     "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"ip\":\"10.0.0.1\",\"netmask\":"
     "\"ffff::\"}]",
     MDATA_EJSON, "nics[0].netmask: \"ffff::\" is not a netmask"},
    {NICS,
     "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"ip\":\"10.0.0.1\",\"netmask\":24}]",
     MDATA_EJSON, "nics[0].netmask: expected a string, got an integer"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"ip\":\"2001::5\"}]", MDATA_EJSON,
     "nics[0].ip: legacy \"ip\" must be IPv4 or \"dhcp\""},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"ip\":\"10.0.0.1/24\"}]",
     MDATA_EJSON,
     "nics[0].ip: \"10.0.0.1/24\" must be an address without a prefix "
     "length"},
    /* Anti-spoof arrays. */
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"allowed_ips\":[\"10.0.0.x\"]}]",
     MDATA_EJSON, "nics[0].allowed_ips[0]: \"10.0.0.x\" is not an address"},
    {NICS, "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"allowed_dhcp_cids\":[\"a\",7]}]",
     MDATA_EJSON,
     "nics[0].allowed_dhcp_cids[1]: expected a string, got an integer"},
    {NICS,
     "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"blocked_outgoing_ports\":[25,"
     "70000]}]",
     MDATA_ERANGE,
     "nics[0].blocked_outgoing_ports[1]: 70000 is out of range 0..65535"},
    {NICS,
     "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"blocked_outgoing_ports\":[\"25\"]}]",
     MDATA_EJSON,
     "nics[0].blocked_outgoing_ports[0]: expected an integer, got a string"},
    /* Control bytes and quotes are escaped in messages; long values cut. */
    {NICS, "[{\"mac\":\"a\\n\\\"b\"}]", MDATA_EJSON,
     "nics[0].mac: \"a\\x0a\\\"b\" is not a MAC address"},
    {NICS,
     "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"ips\":[\"10.0.0.1/24xxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"]}]",
     MDATA_EJSON,
     "nics[0].ips[0]: \"10.0.0.1/24xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"... "
     "is too long for an address"},

    /* Routes. */
    {ROUTES, "{\"10.0.0.0/8\":\"10.0.0.1\"}", MDATA_EJSON,
     "routes: expected an array, got an object"},
    {ROUTES, "[\"10.0.0.0/8\"]", MDATA_EJSON,
     "routes[0]: expected an object, got a string"},
    {ROUTES, "[{\"linklocal\":false,\"gateway\":\"10.0.0.1\"}]", MDATA_EJSON,
     "routes[0]: missing \"dst\""},
    {ROUTES, "[{\"linklocal\":false,\"dst\":\"10.0.0.0/8\"}]", MDATA_EJSON,
     "routes[0]: missing \"gateway\""},
    {ROUTES,
     "[{\"dst\":\"10.0.0.0/8\",\"gateway\":\"10.0.0.1\"},"
     "{\"dst\":\"10.1.0.0/33\",\"gateway\":\"10.0.0.1\"}]",
     MDATA_EJSON, "routes[1].dst: \"10.1.0.0/33\" has a prefix length above 32"},
    {ROUTES, "[{\"dst\":\"10.0.0.0/8\",\"gateway\":\"nics[1]\"}]", MDATA_EJSON,
     "routes[0].gateway: \"nics[1]\" is not an address"},
    {ROUTES, "[{\"dst\":\"10.0.0.0/8\",\"gateway\":\"10.0.0.1/32\"}]",
     MDATA_EJSON,
     "routes[0].gateway: \"10.0.0.1/32\" must be an address without a prefix "
     "length"},
    {ROUTES,
     "[{\"linklocal\":\"true\",\"dst\":\"10.0.0.0/8\",\"gateway\":"
     "\"10.0.0.1\"}]",
     MDATA_EJSON, "routes[0].linklocal: expected a boolean, got a string"},
    {ROUTES, "[{\"dst\":null,\"gateway\":\"10.0.0.1\"}]", MDATA_EJSON,
     "routes[0].dst: expected an address string, got null"},

    /* Resolvers. */
    {RESOLVERS, "8.8.8.8", MDATA_EJSON,
     "resolvers: invalid JSON at line 1 column *"},
    {RESOLVERS, "\"8.8.8.8\"", MDATA_EJSON,
     "resolvers: expected an array, got a string"},
    {RESOLVERS, "[\"8.8.8.8\",\"8.8.4\"]", MDATA_EJSON,
     "resolvers[1]: \"8.8.4\" is not an address"},
    {RESOLVERS, "[\"8.8.8.8/32\"]", MDATA_EJSON,
     "resolvers[0]: \"8.8.8.8/32\" must be an address without a prefix "
     "length"},
    {RESOLVERS, "[\"dns.google\"]", MDATA_EJSON,
     "resolvers[0]: \"dns.google\" is not an address"},
    {RESOLVERS, "[8]", MDATA_EJSON,
     "resolvers[0]: expected an address string, got an integer"},
    {RESOLVERS, "[\"8.8.8.8\" \"8.8.4.4\"]", MDATA_EJSON,
     "resolvers: invalid JSON at line 1 column 20: ']' expected*"},
};

/* Run one parser; returns its code, checks that no object came back. */
static int run(int parser, const char *doc, size_t len, mdata_error_t *err)
{
    int rc = MDATA_EINVAL;

    switch (parser) {
    case NICS: {
        mdata_nic_list_t *l = (mdata_nic_list_t *)(uintptr_t)1;

        rc = mdata_nics_parse(doc, len, &l, err);
        if (rc == 0)
            mdata_nic_list_free(l);
        else
            CU_ASSERT_PTR_NULL(l);
        break;
    }
    case ROUTES: {
        mdata_route_list_t *l = (mdata_route_list_t *)(uintptr_t)1;

        rc = mdata_routes_parse(doc, len, &l, err);
        if (rc == 0)
            mdata_route_list_free(l);
        else
            CU_ASSERT_PTR_NULL(l);
        break;
    }
    default: {
        mdata_resolver_list_t *l = (mdata_resolver_list_t *)(uintptr_t)1;

        rc = mdata_resolvers_parse(doc, len, &l, err);
        if (rc == 0)
            mdata_resolver_list_free(l);
        else
            CU_ASSERT_PTR_NULL(l);
        break;
    }
    }
    return rc;
}

static void test_malformed_table(void)
{
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        mdata_error_t err;
        size_t want;
        int rc, same;

        memset(&err, 0, sizeof(err));
        rc = run(bad[i].parser, bad[i].doc, strlen(bad[i].doc), &err);
        want = strlen(bad[i].message);
        if (want > 0 && bad[i].message[want - 1] == '*')
            want--; /* prefix match */
        else
            want++; /* the NUL too: whole-string match */
        same = memcmp(err.text, bad[i].message, want) == 0;
        if (rc != bad[i].code || !same)
            fprintf(stderr, "\ncase %zu: %s\n  got  %s %s\n  want %s %s\n", i,
                    bad[i].doc, mdata_err_name(rc), err.text,
                    mdata_err_name(bad[i].code), bad[i].message);
        CU_ASSERT_EQUAL(rc, bad[i].code);
        CU_ASSERT_EQUAL(err.code, bad[i].code);
        CU_ASSERT(same);
        /* Without an error struct the code is the same. */
        CU_ASSERT_EQUAL(run(bad[i].parser, bad[i].doc, strlen(bad[i].doc),
                            NULL),
                        bad[i].code);
    }
}

/* The byte offset of a syntax error is reported. */
static void test_malformed_syntax_position(void)
{
    static const char doc[] = "[{\"mac\":\"aa:bb:cc:dd:ee:ff\"},}]";
    mdata_error_t err;

    CU_ASSERT_EQUAL(run(NICS, doc, strlen(doc), &err), MDATA_EJSON);
    CU_ASSERT_EQUAL(err.position, 30);
    /* The length is honoured: a NUL-free buffer cut short is an error,
     * bytes past len are never read. */
    CU_ASSERT_EQUAL(run(RESOLVERS, "[\"8.8.8.8\"]garbage", 11, &err), 0);
    CU_ASSERT_EQUAL(run(RESOLVERS, "[\"8.8.8.8\"]", 10, &err), MDATA_EJSON);
    /* An embedded NUL byte is an error, not the end of the document. */
    CU_ASSERT_EQUAL(run(RESOLVERS, "[]\0", 3, &err), MDATA_EJSON);
}

static void test_malformed_arguments(void)
{
    mdata_nic_list_t *nics = NULL;
    mdata_route_list_t *routes = NULL;
    mdata_resolver_list_t *res = NULL;
    mdata_error_t err;

    CU_ASSERT_EQUAL(mdata_nics_parse("[]", 2, NULL, &err), MDATA_EINVAL);
    CU_ASSERT_EQUAL(err.code, MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_nics_parse(NULL, 2, &nics, &err), MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_routes_parse(NULL, 2, &routes, &err), MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_resolvers_parse(NULL, 2, &res, &err), MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_routes_parse("[]", 2, NULL, NULL), MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_resolvers_parse("[]", 2, NULL, NULL), MDATA_EINVAL);
    /* NULL with length 0 is an empty document: a JSON error. */
    CU_ASSERT_EQUAL(mdata_nics_parse(NULL, 0, &nics, &err), MDATA_EJSON);
    CU_ASSERT_PTR_NULL(nics);
}

/* Build "[item,item,...]" with n copies of item (printf with %d = index). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static char *repeat(const char *fmt, int n)
{
    size_t cap = (size_t)n * (strlen(fmt) + 16) + 16, at = 1;
    char *doc = malloc(cap);
    int i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    doc[0] = '[';
    for (i = 0; i < n; i++) {
        if (i > 0)
            doc[at++] = ',';
        at += (size_t)snprintf(doc + at, cap - at, fmt, i % 250);
    }
    doc[at++] = ']';
    doc[at] = '\0';
    return doc;
}
#pragma GCC diagnostic pop

static void expect(int parser, const char *doc, int code, const char *msg)
{
    mdata_error_t err;

    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(run(parser, doc, strlen(doc), &err), code);
    if (strcmp(err.text, msg) != 0)
        fprintf(stderr, "\n  got  %s\n  want %s\n", err.text, msg);
    CU_ASSERT_STRING_EQUAL(err.text, msg);
}

/* One past each bound is a clear MDATA_ERANGE. */
static void test_malformed_bounds(void)
{
    char *doc, *ips, nic[4096];

    doc = repeat("{\"mac\":\"02:00:00:00:00:%02x\"}", MDATA_NICS_MAX + 1);
    expect(NICS, doc, MDATA_ERANGE, "nics: 33 entries, at most 32 allowed");
    free(doc);

    ips = repeat("\"10.0.%d.1/24\"", MDATA_NIC_IPS_MAX + 1);
    snprintf(nic, sizeof(nic),
             "[{\"mac\":\"02:00:00:00:00:01\"},{\"mac\":\"02:00:00:00:00:02\","
             "\"ips\":%s}]",
             ips);
    expect(NICS, nic, MDATA_ERANGE,
           "nics[1].ips: 21 entries, at most 20 allowed");
    snprintf(nic, sizeof(nic),
             "[{\"mac\":\"02:00:00:00:00:01\",\"gateways\":%s}]", ips);
    expect(NICS, nic, MDATA_ERANGE,
           "nics[0].gateways: 21 entries, at most 20 allowed");
    free(ips);

    ips = repeat("\"10.0.%d.1\"", MDATA_NIC_ARRAY_MAX + 1);
    snprintf(nic, sizeof(nic),
             "[{\"mac\":\"02:00:00:00:00:01\",\"allowed_ips\":%s}]", ips);
    expect(NICS, nic, MDATA_ERANGE,
           "nics[0].allowed_ips: 65 entries, at most 64 allowed");
    free(ips);

    doc = repeat("{\"dst\":\"10.%d.0.0/16\",\"gateway\":\"10.0.0.1\"}",
                 MDATA_ROUTES_MAX + 1);
    expect(ROUTES, doc, MDATA_ERANGE,
           "routes: 257 entries, at most 256 allowed");
    free(doc);

    doc = repeat("\"10.0.0.%d\"", MDATA_RESOLVERS_MAX + 1);
    expect(RESOLVERS, doc, MDATA_ERANGE,
           "resolvers: 33 entries, at most 32 allowed");
    free(doc);

    /* Exactly at the bound is fine. */
    doc = repeat("\"10.0.0.%d\"", MDATA_RESOLVERS_MAX);
    expect(RESOLVERS, doc, 0, "");
    free(doc);
}

/* jansson's allocations, counted while a hostile document is refused. */
static size_t jansson_allocs;

static void *counting_malloc(size_t n)
{
    jansson_allocs++;
    return malloc(n);
}

/*
 * Whole-document bounds: a hostile value is refused for its size before
 * jansson builds anything, however many bytes it has.
 */
static void test_malformed_document_bounds(void)
{
    static const char head[] = "[{\"mac\":\"02:00:00:00:00:01\",\"x\":";
    char *doc, *big;
    size_t i, at, n = 20000;

    /* 1,000,000 empty objects (2 MB of "{},") in the time of one scan */
    doc = repeat("{}", 1000000);
    json_set_alloc_funcs(counting_malloc, free);
    jansson_allocs = 0;
    expect(NICS, doc, MDATA_ERANGE,
           "nics: 1000000 entries, at most 32 allowed");
    CU_ASSERT_EQUAL(jansson_allocs, 0);
    json_set_alloc_funcs(malloc, free);
    free(doc);

    /* one nic carrying 20,000 objects: 1 + 1 + 1 + 1 + 20000 + 19999 */
    big = malloc(n * 3 + 64);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    at = (size_t)sprintf(big, "%s[", head);
    for (i = 0; i < n; i++)
        at += (size_t)sprintf(big + at, i > 0 ? ",{}" : "{}");
    strcpy(big + at, "]}]");
    expect(NICS, big, MDATA_ERANGE,
           "nics: 40003 JSON values, at most 32768 allowed");
    /* the same brackets and commas inside a string are one value */
    big[strlen(head)] = '"';
    for (i = strlen(head) + 1; i < at; i++)
        if (big[i] == '{' || big[i] == '}')
            big[i] = '.';
    big[at] = '"';
    expect(NICS, big, 0, "");
    free(big);

    /* nesting: 32 levels reach jansson, 33 do not (a fixed array: GCC's
     * bounds warning misjudges a calloc'd one in sanitizer builds) */
    {
        char nest[80] = {0};

        memset(nest, '[', 32);
        memset(nest + 32, ']', 32);
        expect(NICS, nest, MDATA_EJSON,
               "nics[0]: expected an object, got an array");
        memset(nest, '[', 33);
        memset(nest + 33, ']', 33);
        expect(NICS, nest, MDATA_ERANGE, "nics: nested deeper than 32 levels");
        expect(ROUTES, nest, MDATA_ERANGE,
               "routes: nested deeper than 32 levels");
    }

    doc = repeat("\"10.0.0.%d\"", MDATA_RESOLVERS_VALUES_MAX);
    expect(RESOLVERS, doc, MDATA_ERANGE,
           "resolvers: 256 entries, at most 32 allowed");
    free(doc);
}

CU_TestInfo malformed_tests[] = {
    {"test_malformed_document_bounds", test_malformed_document_bounds},
    {"test_malformed_table", test_malformed_table},
    {"test_malformed_syntax_position", test_malformed_syntax_position},
    {"test_malformed_arguments", test_malformed_arguments},
    {"test_malformed_bounds", test_malformed_bounds},
    CU_TEST_INFO_NULL,
};
