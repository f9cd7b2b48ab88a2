/*
 * sdc:routes and sdc:resolvers: the payloads of doc/protocol.md §6.4 field
 * by field, routes as the host computes them from nics[N] and macs[...]
 * (§6.2), link-local routes resolved to their nic, empty lists, dup.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "suites.h"
#include "testutil.h"

#define V4 MDATA_AF_INET
#define V6 MDATA_AF_INET6

static void check_route(const mdata_route_t *r, int linklocal,
                        const char *dst, unsigned prefix, const char *dstc,
                        const char *gw)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(mdata_route_is_linklocal(r), linklocal);
    TT_ASSERT_IP(mdata_route_dst(r), V4, dst, prefix, dstc);
    TT_ASSERT_IP(mdata_route_gateway(r), V4, gw, 32, gw);
}

static void test_routes_d1(void)
{
    mdata_route_list_t *list = tt_routes_file("d1-routes.json"), *copy = NULL;

    CU_ASSERT_EQUAL_FATAL(mdata_route_list_count(list), 4);
    /* A bare destination is a host route. */
    check_route(mdata_route_list_at(list, 0), 1, "172.21.1.1", 32,
                "172.21.1.1", "172.20.1.2");
    check_route(mdata_route_list_at(list, 1), 0, "172.22.2.0/24", 24,
                "172.22.2.0", "172.19.1.1");
    check_route(mdata_route_list_at(list, 2), 1, "172.23.3.0/24", 24,
                "172.23.3.0", "172.19.1.2");
    check_route(mdata_route_list_at(list, 3), 1, "172.26.0.0/16", 16,
                "172.26.0.0", "172.20.1.2");
    CU_ASSERT_PTR_NULL(mdata_route_list_at(list, 4));
    CU_ASSERT_EQUAL_FATAL(mdata_route_list_dup(list, &copy), 0);
    mdata_route_list_free(list);
    CU_ASSERT_EQUAL_FATAL(mdata_route_list_count(copy), 4);
    check_route(mdata_route_list_at(copy, 3), 1, "172.26.0.0/16", 16,
                "172.26.0.0", "172.20.1.2");
    mdata_route_list_free(copy);
}

static void test_routes_d2(void)
{
    mdata_route_list_t *list = tt_routes_file("d2-routes.json");

    CU_ASSERT_EQUAL_FATAL(mdata_route_list_count(list), 2);
    check_route(mdata_route_list_at(list, 0), 0, "10.0.0.0/8", 8, "10.0.0.0",
                "10.210.1.1");
    check_route(mdata_route_list_at(list, 1), 1, "10.220.0.5", 32,
                "10.220.0.5", "10.210.1.217");
    mdata_route_list_free(list);
}

/*
 * The host's computation (doc/protocol.md §6.2), written over the public
 * nic API: each VM routes entry becomes {linklocal, dst, gateway};
 * nics[N] and macs[X] take the nic's legacy "ip" and are dropped when there
 * is none, it is "dhcp", or no nic matches. Returns the number of routes
 * written as text lines "linklocal dst gateway" into out.
 */
static size_t host_routes(const mdata_nic_list_t *nics, const char *vm_routes,
                          char out[][160], size_t cap)
{
    json_t *obj = json_loads(vm_routes, 0, NULL);
    const char *dst;
    json_t *v;
    size_t n = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(obj);
    json_object_foreach(obj, dst, v) {
        const char *gw = json_string_value(v);
        const mdata_nic_t *nic = NULL;
        const char *ipjson;
        unsigned idx, m[6];
        char ip[64];

        if (strncmp(gw, "nics[", 5) == 0) {
            if (sscanf(gw, "nics[%u]", &idx) == 1)
                nic = mdata_nic_list_at(nics, idx);
        } else if (strncmp(gw, "macs[", 5) == 0) {
            if (sscanf(gw, "macs[%x:%x:%x:%x:%x:%x]", &m[0], &m[1], &m[2],
                       &m[3], &m[4], &m[5]) == 6) {
                uint8_t mac[6];
                int k;

                for (k = 0; k < 6; k++)
                    mac[k] = (uint8_t)m[k];
                nic = mdata_nic_list_find_mac(nics, mac);
            }
        } else {
            if (n < cap)
                snprintf(out[n++], 160, "false %s %s", dst, gw);
            continue;
        }
        if (nic == NULL)
            continue; /* no such nic: dropped */
        ipjson = mdata_nic_field_json(nic, "ip");
        if (ipjson == NULL || sscanf(ipjson, "\"%63[^\"]\"", ip) != 1 ||
            strcmp(ip, "dhcp") == 0)
            continue; /* no usable ip: dropped */
        if (n < cap)
            snprintf(out[n++], 160, "true %s %s", dst, ip);
    }
    json_decref(obj);
    return n;
}

static void check_computed(const char *nics_file, const char *vm_routes_file,
                           const char *routes_file)
{
    mdata_nic_list_t *nics = tt_nics_file(nics_file);
    mdata_route_list_t *routes = tt_routes_file(routes_file);
    char *vm = tu_read_file(tu_vector_path(vm_routes_file), NULL);
    char lines[16][160];
    size_t n, i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
    n = host_routes(nics, vm, lines, 16);
    CU_ASSERT_EQUAL_FATAL(n, mdata_route_list_count(routes));
    for (i = 0; i < n; i++) {
        const mdata_route_t *r = mdata_route_list_at(routes, i);
        char want[160];

        snprintf(want, sizeof(want), "%s %s %s",
                 mdata_route_is_linklocal(r) ? "true" : "false",
                 mdata_route_dst(r)->text, mdata_route_gateway(r)->text);
        TT_ASSERT_STR(lines[i], want);
    }
    free(vm);
    mdata_route_list_free(routes);
    mdata_nic_list_free(nics);
}

/* D.1: nics[1], macs[...] (either case) kept; nics[2] (dhcp) and nics[7]
 * (no such nic) dropped, exactly as observed from the real agent. */
static void test_routes_computed_d1(void)
{
    check_computed("d1-nics.json", "types/d1-vm-routes.json",
                   "d1-routes.json");
}

static void test_routes_computed_d2(void)
{
    check_computed("d2-nics.json", "types/d2-vm-routes.json",
                   "d2-routes.json");
}

/* A link-local route's gateway is one of the VM's addresses: it names the
 * nic the route goes out of. */
static void test_routes_linklocal_resolve_to_nic(void)
{
    mdata_nic_list_t *nics = tt_nics_file("d1-nics.json");
    mdata_route_list_t *routes = tt_routes_file("d1-routes.json");
    static const char *const want[] = {"net1", NULL, "net0", "net1"};
    size_t i;

    for (i = 0; i < 4; i++) {
        const mdata_route_t *r = mdata_route_list_at(routes, i);
        const mdata_nic_t *nic =
            mdata_nic_list_find_address(nics, mdata_route_gateway(r));

        if (!mdata_route_is_linklocal(r)) {
            /* 172.19.1.1 is the net0 gateway, not an address of ours. */
            CU_ASSERT_PTR_NULL(nic);
            continue;
        }
        CU_ASSERT_PTR_NOT_NULL_FATAL(nic);
        TT_ASSERT_STR(mdata_nic_interface(nic), want[i]);
    }
    mdata_route_list_free(routes);
    mdata_nic_list_free(nics);
}

static void test_routes_ipv6_and_defaults(void)
{
    static const char doc[] =
        "[{\"dst\":\"::/0\",\"gateway\":\"fe80::1\"},"
        "{\"linklocal\":false,\"dst\":\"2001:db8::/32\",\"gateway\":"
        "\"2001:db8::1\",\"extra\":1},"
        "{\"linklocal\":true,\"dst\":\"2001:db8:1::5\",\"gateway\":"
        "\"2001:db8::10\"}]";
    mdata_route_list_t *list = NULL;
    mdata_error_t err;

    CU_ASSERT_EQUAL_FATAL(mdata_routes_parse(doc, strlen(doc), &list, &err),
                          0);
    CU_ASSERT_EQUAL_FATAL(mdata_route_list_count(list), 3);
    TT_ASSERT_IP(mdata_route_dst(mdata_route_list_at(list, 0)), V6, "::/0", 0,
                 "::");
    TT_ASSERT_IP(mdata_route_gateway(mdata_route_list_at(list, 0)), V6,
                 "fe80::1", 128, "fe80::1");
    CU_ASSERT_EQUAL(mdata_route_is_linklocal(mdata_route_list_at(list, 0)), 0);
    TT_ASSERT_IP(mdata_route_dst(mdata_route_list_at(list, 1)), V6,
                 "2001:db8::/32", 32, "2001:db8::");
    TT_ASSERT_IP(mdata_route_dst(mdata_route_list_at(list, 2)), V6,
                 "2001:db8:1::5", 128, "2001:db8:1::5");
    CU_ASSERT_EQUAL(mdata_route_is_linklocal(mdata_route_list_at(list, 2)), 1);
    mdata_route_list_free(list);
}

static void test_routes_empty(void)
{
    mdata_route_list_t *list = NULL, *copy = NULL;

    CU_ASSERT_EQUAL_FATAL(mdata_routes_parse("[]", 2, &list, NULL), 0);
    CU_ASSERT_EQUAL(mdata_route_list_count(list), 0);
    CU_ASSERT_PTR_NULL(mdata_route_list_at(list, 0));
    CU_ASSERT_EQUAL_FATAL(mdata_route_list_dup(list, &copy), 0);
    CU_ASSERT_EQUAL(mdata_route_list_count(copy), 0);
    mdata_route_list_free(copy);
    mdata_route_list_free(list);
    mdata_route_list_free(NULL);
    CU_ASSERT_EQUAL(mdata_route_list_count(NULL), 0);
    CU_ASSERT_EQUAL(mdata_route_list_dup(NULL, &copy), MDATA_EINVAL);
}

static void test_resolvers_d1(void)
{
    mdata_resolver_list_t *list = tt_resolvers_file("d1-resolvers.json");

    CU_ASSERT_EQUAL_FATAL(mdata_resolver_list_count(list), 2);
    TT_ASSERT_IP(mdata_resolver_list_at(list, 0), V4, "8.8.8.8", 32,
                 "8.8.8.8");
    TT_ASSERT_IP(mdata_resolver_list_at(list, 1), V4, "8.8.4.4", 32,
                 "8.8.4.4");
    CU_ASSERT_PTR_NULL(mdata_resolver_list_at(list, 2));
    mdata_resolver_list_free(list);
}

static void test_resolvers_d2_ipv6(void)
{
    static const uint8_t g6[16] = {0x20, 0x01, 0x48, 0x60, 0x48, 0x60, 0, 0,
                                   0,    0,    0,    0,    0,    0,    0x88,
                                   0x88};
    mdata_resolver_list_t *list = tt_resolvers_file("d2-resolvers.json");
    mdata_resolver_list_t *copy = NULL;

    CU_ASSERT_EQUAL_FATAL(mdata_resolver_list_count(list), 2);
    TT_ASSERT_IP(mdata_resolver_list_at(list, 0), V4, "8.8.8.8", 32,
                 "8.8.8.8");
    TT_ASSERT_IP(mdata_resolver_list_at(list, 1), V6, "2001:4860:4860::8888",
                 128, "2001:4860:4860::8888");
    CU_ASSERT(memcmp(mdata_resolver_list_at(list, 1)->addr, g6, 16) == 0);
    CU_ASSERT_EQUAL_FATAL(mdata_resolver_list_dup(list, &copy), 0);
    mdata_resolver_list_free(list);
    CU_ASSERT(memcmp(mdata_resolver_list_at(copy, 1)->addr, g6, 16) == 0);
    mdata_resolver_list_free(copy);
}

/* The original text is kept, the canonical one is a call away. */
static void test_resolvers_keep_original_text(void)
{
    static const char doc[] = "[\"2001:4860:4860:0:0:0:0:8844\",\"::1\"]";
    mdata_resolver_list_t *list = NULL;

    CU_ASSERT_EQUAL_FATAL(mdata_resolvers_parse(doc, strlen(doc), &list, NULL),
                          0);
    TT_ASSERT_IP(mdata_resolver_list_at(list, 0), V6,
                 "2001:4860:4860:0:0:0:0:8844", 128, "2001:4860:4860::8844");
    mdata_resolver_list_free(list);
}

static void test_resolvers_empty(void)
{
    mdata_resolver_list_t *list = NULL, *copy = NULL;

    CU_ASSERT_EQUAL_FATAL(mdata_resolvers_parse("[]", 2, &list, NULL), 0);
    CU_ASSERT_EQUAL(mdata_resolver_list_count(list), 0);
    CU_ASSERT_PTR_NULL(mdata_resolver_list_at(list, 0));
    CU_ASSERT_EQUAL_FATAL(mdata_resolver_list_dup(list, &copy), 0);
    mdata_resolver_list_free(copy);
    mdata_resolver_list_free(list);
    mdata_resolver_list_free(NULL);
    CU_ASSERT_EQUAL(mdata_resolver_list_count(NULL), 0);
    CU_ASSERT_EQUAL(mdata_resolver_list_dup(NULL, &copy), MDATA_EINVAL);
}

CU_TestInfo routes_tests[] = {
    {"test_routes_d1", test_routes_d1},
    {"test_routes_d2", test_routes_d2},
    {"test_routes_computed_d1", test_routes_computed_d1},
    {"test_routes_computed_d2", test_routes_computed_d2},
    {"test_routes_linklocal_resolve_to_nic",
     test_routes_linklocal_resolve_to_nic},
    {"test_routes_ipv6_and_defaults", test_routes_ipv6_and_defaults},
    {"test_routes_empty", test_routes_empty},
    {"test_resolvers_d1", test_resolvers_d1},
    {"test_resolvers_d2_ipv6", test_resolvers_d2_ipv6},
    {"test_resolvers_keep_original_text", test_resolvers_keep_original_text},
    {"test_resolvers_empty", test_resolvers_empty},
    CU_TEST_INFO_NULL,
};
