/*
 * The typed getters (mdata_get_nics ... mdata_sync_get_dns_domain) against
 * mdata-emu over a unix socket and a pty. Every field a getter returns is
 * compared with what the VM.json the emulator serves says, read here with
 * jansson: nics member by member, routes recomputed from the VM's routes
 * object as the host does (doc/protocol.md §6.2), resolvers, hostname,
 * dns_domain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <uv.h>

#include "mdata.h"
#include "testutil.h"
#include "typed-emu.h"

#define SAMPLE_VM MDATA_EMU_VMS "/sample-vm.json"
#define D1_VM MDATA_EMU_VMS "/d1-zone.json"

/* ---- helpers ---- */

static mdata_sync_t *sync_on(const emu_t *e)
{
    mdata_options_t *o = NULL;
    mdata_sync_t *s = NULL;
    mdata_error_t err;

    CU_ASSERT_FATAL(mdata_options_new(&o) == 0);
    CU_ASSERT_FATAL(mdata_options_set_device(o, e->path) == 0);
    CU_ASSERT_FATAL(mdata_options_set_timeout_ms(o, 20000) == 0);
    CU_ASSERT_FATAL(mdata_sync_new(o, &s, &err) == 0);
    mdata_options_free(o);
    return s;
}

static json_t *load_vm(const char *path)
{
    json_error_t jerr;
    json_t *vm = json_load_file(path, 0, &jerr);

    if (vm == NULL)
        fprintf(stderr, "%s: %s\n", path, jerr.text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
    return vm;
}

static void start(emu_t *e, int pty, const char *vm)
{
    int rc = emu_start_vm(e, pty, vm, NULL);

    if (rc != 0)
        fprintf(stderr, "cannot start mdata-emu on %s\n", vm);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static void stop(emu_t *e)
{
    CU_ASSERT_EQUAL(emu_stop(e), 0);
}

/* Equal strings, both NULL counting as equal; report a difference. */
static int str_eq(const char *got, const char *want, const char *what)
{
    if (got == NULL && want == NULL)
        return 1;
    if (got != NULL && want != NULL && strcmp(got, want) == 0)
        return 1;
    fprintf(stderr, "%s: got %s%s%s, want %s%s%s\n", what,
            got ? "\"" : "", got ? got : "NULL", got ? "\"" : "",
            want ? "\"" : "", want ? want : "NULL", want ? "\"" : "");
    return 0;
}

static const char *jstr(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* An address entry against its text in the VM: text kept, family and
 * prefix as the text says, and the canonical form round-trips. */
static void check_ip(const mdata_ip_t *ip, const char *text, int keywords)
{
    const char *slash;
    char buf[MDATA_IP_TEXT_MAX];

    CU_ASSERT_PTR_NOT_NULL_FATAL(ip);
    CU_ASSERT(str_eq(ip->text, text, "ip text"));
    if (keywords && strcmp(text, "dhcp") == 0) {
        CU_ASSERT_EQUAL(ip->family, MDATA_AF_DHCP);
        return;
    }
    if (keywords && strcmp(text, "addrconf") == 0) {
        CU_ASSERT_EQUAL(ip->family, MDATA_AF_ADDRCONF);
        return;
    }
    CU_ASSERT_EQUAL(ip->family,
                    strchr(text, ':') != NULL ? MDATA_AF_INET6 : MDATA_AF_INET);
    slash = strchr(text, '/');
    if (slash != NULL) {
        CU_ASSERT_EQUAL(ip->prefix, (unsigned)atoi(slash + 1));
    } else {
        CU_ASSERT_EQUAL(ip->prefix, ip->family == MDATA_AF_INET ? 32u : 128u);
    }
    /* the VM files spell addresses canonically */
    CU_ASSERT(mdata_ip_format(ip, slash != NULL, buf, sizeof(buf)) > 0);
    CU_ASSERT(str_eq(buf, text, "canonical ip"));
}

static const struct {
    const char *name;
    unsigned bit;
} nic_flags[] = {
    {"allow_dhcp_spoofing", MDATA_NIC_ALLOW_DHCP_SPOOFING},
    {"allow_ip_spoofing", MDATA_NIC_ALLOW_IP_SPOOFING},
    {"allow_mac_spoofing", MDATA_NIC_ALLOW_MAC_SPOOFING},
    {"allow_restricted_traffic", MDATA_NIC_ALLOW_RESTRICTED_TRAFFIC},
    {"allow_unfiltered_promisc", MDATA_NIC_ALLOW_UNFILTERED_PROMISC},
    {"dhcp_server", MDATA_NIC_DHCP_SERVER},
};

/* Every getter of every nic against the VM's "nics" array. */
static void check_nics(const mdata_nic_list_t *list, const json_t *vm)
{
    const json_t *jnics = json_object_get(vm, "nics");
    size_t i, k;

    CU_ASSERT_PTR_NOT_NULL_FATAL(list);
    CU_ASSERT_EQUAL_FATAL(mdata_nic_list_count(list), json_array_size(jnics));
    CU_ASSERT_PTR_NULL(mdata_nic_list_at(list, json_array_size(jnics)));
    for (i = 0; i < json_array_size(jnics); i++) {
        const mdata_nic_t *nic = mdata_nic_list_at(list, i);
        const json_t *j = json_array_get(jnics, i);
        const json_t *ips = json_object_get(j, "ips");
        const json_t *gws = json_object_get(j, "gateways");
        const char *key;
        json_t *val;
        unsigned flags = 0;

        CU_ASSERT_PTR_NOT_NULL_FATAL(nic);
        CU_ASSERT(str_eq(mdata_nic_interface(nic), jstr(j, "interface"),
                         "interface"));
        CU_ASSERT(strcasecmp(mdata_nic_mac_text(nic), jstr(j, "mac")) == 0);
        CU_ASSERT(str_eq(mdata_nic_tag(nic), jstr(j, "nic_tag"), "nic_tag"));
        CU_ASSERT(str_eq(mdata_nic_network_uuid(nic), jstr(j, "network_uuid"),
                         "network_uuid"));
        CU_ASSERT(str_eq(mdata_nic_model(nic), jstr(j, "model"), "model"));
        CU_ASSERT_EQUAL(mdata_nic_vlan_id(nic),
                        (unsigned)json_integer_value(
                            json_object_get(j, "vlan_id")));
        CU_ASSERT_EQUAL(mdata_nic_mtu(nic),
                        (unsigned)json_integer_value(json_object_get(j, "mtu")));
        CU_ASSERT_EQUAL(mdata_nic_is_primary(nic),
                        json_is_true(json_object_get(j, "primary")) ? 1 : 0);
        CU_ASSERT_EQUAL(mdata_nic_ips_are_legacy(nic), ips == NULL);
        /* the VMs used here all carry "ips" and, where set, "gateways" */
        CU_ASSERT_EQUAL_FATAL(mdata_nic_ip_count(nic), json_array_size(ips));
        for (k = 0; k < json_array_size(ips); k++)
            check_ip(mdata_nic_ip_at(nic, k),
                     json_string_value(json_array_get(ips, k)), 1);
        CU_ASSERT_PTR_NULL(mdata_nic_ip_at(nic, k));
        CU_ASSERT_EQUAL_FATAL(mdata_nic_gateway_count(nic),
                              json_array_size(gws));
        for (k = 0; k < json_array_size(gws); k++)
            check_ip(mdata_nic_gateway_at(nic, k),
                     json_string_value(json_array_get(gws, k)), 0);
        for (k = 0; k < sizeof(nic_flags) / sizeof(nic_flags[0]); k++)
            if (json_is_true(json_object_get(j, nic_flags[k].name)))
                flags |= nic_flags[k].bit;
        CU_ASSERT_EQUAL(mdata_nic_flags(nic), flags);
        CU_ASSERT_EQUAL(mdata_nic_allowed_ip_count(nic),
                        json_array_size(json_object_get(j, "allowed_ips")));
        CU_ASSERT_EQUAL(mdata_nic_blocked_port_count(nic),
                        json_array_size(json_object_get(j,
                                        "blocked_outgoing_ports")));
        CU_ASSERT_EQUAL(mdata_nic_vrrp_vrid(nic),
                        json_object_get(j, "vrrp_vrid") != NULL
                            ? (int)json_integer_value(
                                  json_object_get(j, "vrrp_vrid"))
                            : -1);
        /* every member stays reachable raw, in document order */
        CU_ASSERT_EQUAL(mdata_nic_field_count(nic), json_object_size(j));
        k = 0;
        json_object_foreach((json_t *)j, key, val) {
            char *want = json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY);

            CU_ASSERT(str_eq(mdata_nic_field_name_at(nic, k), key, "field"));
            CU_ASSERT(str_eq(mdata_nic_field_json(nic, key), want, key));
            free(want);
            k++;
        }
        /* lookups lead back to the same nic */
        {
            uint8_t mac[6];

            mdata_nic_mac(nic, mac);
            CU_ASSERT_PTR_EQUAL(mdata_nic_list_find_mac(list, mac), nic);
            if (jstr(j, "interface") != NULL)
                CU_ASSERT_PTR_EQUAL(mdata_nic_list_find_interface(
                                        list, jstr(j, "interface")),
                                    nic);
            if (json_is_true(json_object_get(j, "primary")))
                CU_ASSERT_PTR_EQUAL(mdata_nic_list_primary(list), nic);
        }
    }
}

/* The nic a routes-object gateway names ("nics[N]" or "macs[..]"), or
 * NULL; *named says whether it named a nic at all. */
static const json_t *route_nic(const json_t *vm, const char *gw, int *named)
{
    const json_t *jnics = json_object_get(vm, "nics");
    size_t i;

    *named = 1;
    if (strncmp(gw, "nics[", 5) == 0)
        return json_array_get(jnics, (size_t)atoi(gw + 5));
    if (strncmp(gw, "macs[", 5) == 0) {
        size_t n = strlen(gw + 5) - 1; /* without the ']' */

        for (i = 0; i < json_array_size(jnics); i++) {
            const char *mac = jstr(json_array_get(jnics, i), "mac");

            if (mac != NULL && strlen(mac) == n &&
                strncasecmp(mac, gw + 5, n) == 0)
                return json_array_get(jnics, i);
        }
        return NULL;
    }
    *named = 0;
    return NULL;
}

/* sdc:routes against the VM's "routes" object, computed as the host does:
 * a nic reference becomes that nic's legacy ip (link-local); a reference
 * to no nic, or to one without an ip or on dhcp, drops the route. */
static void check_routes(const mdata_route_list_t *list, const json_t *vm)
{
    const char *dst;
    json_t *gwv;
    size_t n = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(list);
    json_object_foreach(json_object_get(vm, "routes"), dst, gwv) {
        const char *gw = json_string_value(gwv);
        int named;
        const json_t *nic = route_nic(vm, gw, &named);
        const mdata_route_t *r;

        if (named) {
            const char *ip = nic != NULL ? jstr(nic, "ip") : NULL;

            if (ip == NULL || strcmp(ip, "dhcp") == 0)
                continue; /* silently dropped by the host */
            gw = ip;
        }
        r = mdata_route_list_at(list, n++);
        CU_ASSERT_PTR_NOT_NULL_FATAL(r);
        check_ip(mdata_route_dst(r), dst, 0);
        check_ip(mdata_route_gateway(r), gw, 0);
        CU_ASSERT_EQUAL(mdata_route_is_linklocal(r), named);
    }
    CU_ASSERT_EQUAL(mdata_route_list_count(list), n);
    CU_ASSERT_PTR_NULL(mdata_route_list_at(list, n));
}

static void check_resolvers(const mdata_resolver_list_t *list,
                            const json_t *vm)
{
    const json_t *jr = json_object_get(vm, "resolvers");
    size_t i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(list);
    CU_ASSERT_EQUAL_FATAL(mdata_resolver_list_count(list),
                          json_array_size(jr));
    for (i = 0; i < json_array_size(jr); i++)
        check_ip(mdata_resolver_list_at(list, i),
                 json_string_value(json_array_get(jr, i)), 0);
}

/* ---- blocking getters against a VM ---- */

static void sync_vm(const char *vmfile, int pty)
{
    json_t *vm = load_vm(vmfile);
    emu_t e;
    mdata_sync_t *s;
    mdata_nic_list_t *nics = NULL;
    mdata_route_list_t *routes = NULL;
    mdata_resolver_list_t *res = NULL;
    char *host = NULL, *domain = NULL;
    mdata_error_t err;

    start(&e, pty, vmfile);
    s = sync_on(&e);
    CU_ASSERT_EQUAL(mdata_sync_get_nics(s, &nics, &err), 0);
    check_nics(nics, vm);
    CU_ASSERT_EQUAL(mdata_sync_get_routes(s, &routes, &err), 0);
    check_routes(routes, vm);
    CU_ASSERT_EQUAL(mdata_sync_get_resolvers(s, &res, &err), 0);
    check_resolvers(res, vm);
    CU_ASSERT_EQUAL(mdata_sync_get_hostname(s, &host, &err), 0);
    CU_ASSERT(str_eq(host, jstr(vm, "hostname"), "hostname"));
    CU_ASSERT_EQUAL(mdata_sync_get_dns_domain(s, &domain, &err), 0);
    CU_ASSERT(str_eq(domain, jstr(vm, "dns_domain"), "dns_domain"));
    mdata_nic_list_free(nics);
    mdata_route_list_free(routes);
    mdata_resolver_list_free(res);
    mdata_free(host);
    mdata_free(domain);
    mdata_sync_free(s);
    stop(&e);
    json_decref(vm);
}

static void test_typed_sync_sample_socket(void)
{
    sync_vm(SAMPLE_VM, 0);
}

static void test_typed_sync_sample_pty(void)
{
    sync_vm(SAMPLE_VM, 1);
}

static void test_typed_sync_d1_socket(void)
{
    sync_vm(D1_VM, 0);
}

static void test_typed_sync_d1_pty(void)
{
    sync_vm(D1_VM, 1);
}

/* A few values spelled out, so the comparison above cannot pass by
 * reading both sides wrong in the same way. */
static void test_typed_sync_sample_values(void)
{
    emu_t e;
    mdata_sync_t *s;
    mdata_nic_list_t *nics = NULL;
    mdata_route_list_t *routes = NULL;
    mdata_resolver_list_t *res = NULL;
    const mdata_nic_t *nic;
    const mdata_route_t *r;
    char buf[MDATA_IP_TEXT_MAX];
    char *host = NULL;

    start(&e, 0, SAMPLE_VM);
    s = sync_on(&e);
    CU_ASSERT_EQUAL_FATAL(mdata_sync_get_nics(s, &nics, NULL), 0);
    CU_ASSERT_EQUAL(mdata_nic_list_count(nics), 3);
    nic = mdata_nic_list_primary(nics);
    CU_ASSERT_PTR_EQUAL_FATAL(nic, mdata_nic_list_at(nics, 0));
    CU_ASSERT_STRING_EQUAL(mdata_nic_interface(nic), "net0");
    CU_ASSERT_STRING_EQUAL(mdata_nic_mac_text(nic), "90:b8:d0:ae:64:51");
    CU_ASSERT_EQUAL(mdata_nic_vlan_id(nic), 324);
    CU_ASSERT_EQUAL(mdata_nic_mtu(nic), 1500);
    CU_ASSERT_EQUAL(mdata_nic_ip_count(nic), 2);
    mdata_ip_format(mdata_nic_ip_at(nic, 1), 1, buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "2001:db8:324::51/64");
    CU_ASSERT_EQUAL(mdata_nic_ip_at(nic, 1)->family, MDATA_AF_INET6);
    nic = mdata_nic_list_at(nics, 1);
    CU_ASSERT_EQUAL(mdata_nic_mtu(nic), 9000);
    CU_ASSERT_EQUAL(mdata_nic_gateway_count(nic), 0);
    CU_ASSERT_EQUAL(mdata_nic_is_primary(nic), 0);
    nic = mdata_nic_list_at(nics, 2);
    CU_ASSERT_EQUAL(mdata_nic_ip_at(nic, 0)->family, MDATA_AF_DHCP);
    CU_ASSERT_EQUAL(mdata_nic_mtu(nic), 0);
    CU_ASSERT_EQUAL(mdata_nic_vlan_id(nic), 0);

    CU_ASSERT_EQUAL_FATAL(mdata_sync_get_routes(s, &routes, NULL), 0);
    /* 5 in the VM; the nics[2] (dhcp) route is dropped */
    CU_ASSERT_EQUAL_FATAL(mdata_route_list_count(routes), 4);
    r = mdata_route_list_at(routes, 3);
    CU_ASSERT_STRING_EQUAL(mdata_route_dst(r)->text, "169.254.169.254");
    CU_ASSERT_EQUAL(mdata_route_dst(r)->prefix, 32);
    CU_ASSERT_STRING_EQUAL(mdata_route_gateway(r)->text, "192.0.2.51");
    CU_ASSERT_EQUAL(mdata_route_is_linklocal(r), 1);
    CU_ASSERT_PTR_EQUAL(
        mdata_nic_list_find_address(nics, mdata_route_gateway(r)),
        mdata_nic_list_at(nics, 0));
    r = mdata_route_list_at(routes, 0);
    CU_ASSERT_STRING_EQUAL(mdata_route_dst(r)->text, "10.0.0.0/8");
    CU_ASSERT_EQUAL(mdata_route_is_linklocal(r), 0);

    CU_ASSERT_EQUAL_FATAL(mdata_sync_get_resolvers(s, &res, NULL), 0);
    CU_ASSERT_EQUAL(mdata_resolver_list_count(res), 2);
    CU_ASSERT_EQUAL(mdata_resolver_list_at(res, 1)->family, MDATA_AF_INET6);
    CU_ASSERT_STRING_EQUAL(mdata_resolver_list_at(res, 1)->text,
                           "2001:db8::53");
    CU_ASSERT_EQUAL(mdata_sync_get_hostname(s, &host, NULL), 0);
    CU_ASSERT_STRING_EQUAL(host, "guest-test-01");
    mdata_free(host);
    mdata_nic_list_free(nics);
    mdata_route_list_free(routes);
    mdata_resolver_list_free(res);
    mdata_sync_free(s);
    stop(&e);
}

/* A VM with no hostname, dns_domain, routes or resolvers, and an empty
 * nics array. */
static const char bare_vm[] =
    "{\"uuid\":\"11111111-2222-3333-4444-555555555555\",\"brand\":\"bhyve\","
    "\"nics\":[],\"customer_metadata\":{},\"internal_metadata\":{},"
    "\"tags\":{}}";

static void test_typed_sync_absent(void)
{
    char dir[64];
    const char *vm = temu_write_vm(dir, "vm.json", bare_vm);
    emu_t e;
    mdata_sync_t *s;
    mdata_error_t err;
    mdata_nic_list_t *nics = NULL;
    mdata_route_list_t *routes = (mdata_route_list_t *)&err;
    mdata_resolver_list_t *res = (mdata_resolver_list_t *)&err;
    char *host = (char *)&err, *domain = (char *)&err;

    CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
    start(&e, 0, vm);
    s = sync_on(&e);
    /* absent hostname / dns_domain: 0, NULL, err left alone */
    memset(&err, 0x5a, sizeof(err));
    CU_ASSERT_EQUAL(mdata_sync_get_hostname(s, &host, &err), 0);
    CU_ASSERT_PTR_NULL(host);
    CU_ASSERT_EQUAL(mdata_sync_get_dns_domain(s, &domain, &err), 0);
    CU_ASSERT_PTR_NULL(domain);
    CU_ASSERT_EQUAL(err.code, 0x5a5a5a5a);
    CU_ASSERT_EQUAL(mdata_sync_get_hostname(s, &host, NULL), 0);
    CU_ASSERT_PTR_NULL(host);
    /* absent lists: MDATA_ENOTFOUND, *out NULL */
    CU_ASSERT_EQUAL(mdata_sync_get_routes(s, &routes, &err),
                    MDATA_ENOTFOUND);
    CU_ASSERT_PTR_NULL(routes);
    CU_ASSERT_EQUAL(err.code, MDATA_ENOTFOUND);
    CU_ASSERT_EQUAL(mdata_sync_get_resolvers(s, &res, &err),
                    MDATA_ENOTFOUND);
    CU_ASSERT_PTR_NULL(res);
    /* an empty array is an empty list */
    CU_ASSERT_EQUAL(mdata_sync_get_nics(s, &nics, &err), 0);
    CU_ASSERT_PTR_NOT_NULL(nics);
    CU_ASSERT_EQUAL(mdata_nic_list_count(nics), 0);
    mdata_nic_list_free(nics);
    mdata_sync_free(s);
    stop(&e);
    temu_remove_vm(dir, "vm.json");
}

/* The emulator serves what the VM object holds, so a bad VM.json gives a
 * bad sdc:nics / sdc:routes / sdc:resolvers. */
static const char bad_vm[] =
    "{\"uuid\":\"11111111-2222-3333-4444-555555555555\",\"brand\":\"bhyve\","
    "\"hostname\":\"bad\",\"dns_domain\":\"example.com\","
    "\"nics\":[{\"interface\":\"net0\",\"mac\":\"90:b8:d0:ae:64:51\","
    "\"ips\":[\"10.0.0.5/24\"]},"
    "{\"interface\":\"net1\",\"mac\":\"90:b8:d0:ae:64:52\","
    "\"ips\":[\"10.0.0/24\"]}],"
    "\"routes\":{\"10.1.0.0/33\":\"10.0.0.1\"},"
    "\"resolvers\":[\"8.8.8.8/32\"],"
    "\"customer_metadata\":{},\"internal_metadata\":{},\"tags\":{}}";

#define NICS_MSG "nics[1].ips[0]: \"10.0.0/24\" is not an address"
#define ROUTES_MSG "routes[0].dst: \"10.1.0.0/33\" has a prefix length above 32"
#define RESOLVERS_MSG                                                         \
    "resolvers[0]: \"8.8.8.8/32\" must be an address without a prefix length"

static const char range_vm[] =
    "{\"nics\":[{\"mac\":\"90:b8:d0:ae:64:51\",\"vlan_id\":4096}]}";

static void test_typed_sync_malformed(void)
{
    char dir[64];
    const char *vm = temu_write_vm(dir, "vm.json", bad_vm);
    emu_t e;
    mdata_sync_t *s;
    mdata_error_t err;
    mdata_nic_list_t *nics = (mdata_nic_list_t *)&err;
    mdata_route_list_t *routes = (mdata_route_list_t *)&err;
    mdata_resolver_list_t *res = (mdata_resolver_list_t *)&err;
    char *host = NULL;

    CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
    start(&e, 1, vm);
    s = sync_on(&e);
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL(mdata_sync_get_nics(s, &nics, &err), MDATA_EJSON);
    CU_ASSERT_PTR_NULL(nics);
    CU_ASSERT_EQUAL(err.code, MDATA_EJSON);
    CU_ASSERT(str_eq(err.text, NICS_MSG, "nics error"));
    CU_ASSERT_EQUAL(mdata_sync_get_routes(s, &routes, &err), MDATA_EJSON);
    CU_ASSERT_PTR_NULL(routes);
    CU_ASSERT(str_eq(err.text, ROUTES_MSG, "routes error"));
    CU_ASSERT_EQUAL(mdata_sync_get_resolvers(s, &res, &err), MDATA_EJSON);
    CU_ASSERT_PTR_NULL(res);
    CU_ASSERT(str_eq(err.text, RESOLVERS_MSG, "resolvers error"));
    /* NULL err is fine too */
    CU_ASSERT_EQUAL(mdata_sync_get_nics(s, &nics, NULL), MDATA_EJSON);
    /* the connection is still good after a parse failure */
    CU_ASSERT_EQUAL(mdata_sync_get_hostname(s, &host, &err), 0);
    CU_ASSERT(str_eq(host, "bad", "hostname"));
    mdata_free(host);
    mdata_sync_free(s);
    stop(&e);
    temu_remove_vm(dir, "vm.json");

    vm = temu_write_vm(dir, "vm.json", range_vm);
    CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
    start(&e, 0, vm);
    s = sync_on(&e);
    CU_ASSERT_EQUAL(mdata_sync_get_nics(s, &nics, &err), MDATA_ERANGE);
    CU_ASSERT_PTR_NULL(nics);
    CU_ASSERT(str_eq(err.text, "nics[0].vlan_id: 4096 is out of range 0..4095",
                     "range error"));
    mdata_sync_free(s);
    stop(&e);
    temu_remove_vm(dir, "vm.json");
}

/* A hostname holding a NUL byte cannot be a C string: MDATA_EPROTO. */
static void test_typed_sync_hostname_nul(void)
{
    char dir[64];
    const char *vm = temu_write_vm(dir, "vm.json",
                                   "{\"hostname\":\"ab\\u0000cd\"}");
    emu_t e;
    mdata_sync_t *s;
    mdata_error_t err;
    char *host = (char *)&err;
    uint8_t *raw = NULL;
    size_t len = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
    start(&e, 0, vm);
    s = sync_on(&e);
    CU_ASSERT_EQUAL_FATAL(mdata_sync_get(s, "sdc:hostname", &raw, &len, NULL),
                          0);
    if (len == 5 && memcmp(raw, "ab\0cd", 5) == 0) {
        CU_ASSERT_EQUAL(mdata_sync_get_hostname(s, &host, &err),
                        MDATA_EPROTO);
        CU_ASSERT_PTR_NULL(host);
        CU_ASSERT(str_eq(err.text,
                         "sdc:hostname: the value holds a NUL byte at "
                         "offset 2",
                         "nul error"));
    } else {
        fprintf(stderr, "emulator did not serve the NUL byte; skipped\n");
    }
    mdata_free(raw);
    mdata_sync_free(s);
    stop(&e);
    temu_remove_vm(dir, "vm.json");
}

/*
 * The typed keys carry reply bounds of their own (doc/defaults.md): a host
 * serving a 5000-byte hostname or a 1.1 MiB sdc:nics gets MDATA_ETOOBIG,
 * for plain GETs of those keys too, and the connection stays good;
 * mdata_options_set_key_max_reply moves or removes a bound.
 */
/* A VM with a 5000-byte hostname and an sdc:nics of big + 40 bytes
 * (malloc'd). */
static char *caps_vm_text(size_t big)
{
    char *text = malloc(big + 5000 + 256);
    size_t i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    if (text == NULL) /* said again for GCC's bounds check (sanitizers) */
        return NULL;
    i = (size_t)sprintf(text, "{\"hostname\":\"");
    memset(text + i, 'h', 5000);
    i += 5000;
    i += (size_t)sprintf(text + i, "\",\"resolvers\":[\"8.8.8.8\"],"
                                   "\"nics\":[{\"mac\":\"02:00:00:00:00:01\","
                                   "\"note\":\"");
    memset(text + i, 'n', big);
    strcpy(text + i + big, "\"}]}");
    return text;
}

static void test_typed_sync_key_caps(void)
{
    size_t big = ((size_t)11 << 20) / 10, i;
    char *text = caps_vm_text(big), dir[64], key[80];
    const char *vm;
    mdata_options_t *o = NULL;
    mdata_sync_t *s = NULL;
    mdata_nic_list_t *nics = NULL;
    mdata_error_t err;
    char *host = NULL;
    uint8_t *raw = NULL;
    size_t len = 0;
    emu_t e;

    vm = temu_write_vm(dir, "vm.json", text);
    free(text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
    start(&e, 0, vm);

    s = sync_on(&e);
    CU_ASSERT_EQUAL(mdata_sync_get_hostname(s, &host, &err), MDATA_ETOOBIG);
    CU_ASSERT_PTR_NULL(host);
    CU_ASSERT_EQUAL(mdata_sync_get_nics(s, &nics, &err), MDATA_ETOOBIG);
    CU_ASSERT_PTR_NULL(nics);
    CU_ASSERT(str_eq(err.text,
                     "sdc:nics: the value is over the bound for this key "
                     "(mdata_options_set_key_max_reply)",
                     "too big"));
    CU_ASSERT_EQUAL(mdata_sync_get(s, "sdc:hostname", &raw, &len, &err),
                    MDATA_ETOOBIG);
    CU_ASSERT_EQUAL(mdata_client_counter(mdata_sync_client(s),
                                         MDATA_COUNTER_TOO_BIG), 3);
    /* other keys, and the connection, are unaffected */
    CU_ASSERT_EQUAL(mdata_sync_get(s, "sdc:resolvers", &raw, &len, &err), 0);
    CU_ASSERT(len == 11 && memcmp(raw, "[\"8.8.8.8\"]", 11) == 0);
    mdata_free(raw);
    mdata_sync_free(s);

    CU_ASSERT_FATAL(mdata_options_new(&o) == 0);
    CU_ASSERT_FATAL(mdata_options_set_device(o, e.path) == 0);
    CU_ASSERT_EQUAL(mdata_options_set_key_max_reply(o, "sdc:hostname", 0), 0);
    CU_ASSERT_EQUAL(
        mdata_options_set_key_max_reply(o, "sdc:nics", (size_t)2 << 20), 0);
    CU_ASSERT_FATAL(mdata_sync_new(o, &s, &err) == 0);
    CU_ASSERT_EQUAL(mdata_sync_get_hostname(s, &host, &err), 0);
    CU_ASSERT(host != NULL && strlen(host) == 5000);
    mdata_free(host);
    CU_ASSERT_EQUAL_FATAL(mdata_sync_get_nics(s, &nics, &err), 0);
    CU_ASSERT_EQUAL(mdata_nic_list_count(nics), 1);
    CU_ASSERT_EQUAL(strlen(mdata_nic_field_json(mdata_nic_list_at(nics, 0),
                                                "note")),
                    big + 2);
    mdata_nic_list_free(nics);
    mdata_sync_free(s);

    /* bad bounds: a key the host cannot address, too long a key, more than
     * 16 keys, more than 1 GiB */
    CU_ASSERT_EQUAL(mdata_options_set_key_max_reply(o, " k", 10),
                    MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_options_set_key_max_reply(NULL, "k", 10),
                    MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_options_set_key_max_reply(o, "k", (size_t)2 << 30),
                    MDATA_EINVAL);
    memset(key, 'k', 64);
    key[64] = '\0';
    CU_ASSERT_EQUAL(mdata_options_set_key_max_reply(o, key, 10), MDATA_EINVAL);
    key[63] = '\0';
    CU_ASSERT_EQUAL(mdata_options_set_key_max_reply(o, key, 10), 0);
    /* 16 slots: 4 defaults left (hostname's went above), this one, and 11
     * more */
    for (i = 0; i < 11; i++) {
        snprintf(key, sizeof(key), "key%zu", i);
        CU_ASSERT_EQUAL(mdata_options_set_key_max_reply(o, key, 10), 0);
    }
    CU_ASSERT_EQUAL(mdata_options_set_key_max_reply(o, "one-more", 10),
                    MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_options_set_key_max_reply(o, "key3", 0), 0);
    CU_ASSERT_EQUAL(mdata_options_set_key_max_reply(o, "one-more", 10), 0);
    mdata_options_free(o);
    stop(&e);
    temu_remove_vm(dir, "vm.json");
}

static void test_typed_sync_bad_args(void)
{
    mdata_error_t err;
    mdata_nic_list_t *nics = NULL;
    char *host = NULL;

    CU_ASSERT_EQUAL(mdata_sync_get_nics(NULL, &nics, &err), MDATA_EINVAL);
    CU_ASSERT_EQUAL(err.code, MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_sync_get_hostname(NULL, &host, &err),
                    MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_sync_get_routes(NULL, NULL, NULL), MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_sync_get_resolvers(NULL, NULL, &err),
                    MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_sync_get_dns_domain(NULL, NULL, &err),
                    MDATA_EINVAL);
}

/* ---- async getters ---- */

enum { K_NICS, K_ROUTES, K_RESOLVERS, K_HOST, K_DOMAIN };

typedef struct arec {
    const json_t *vm;
    int in_submit;
    int inside;      /* a callback ran inside a submit */
    int n;
    int count[5];
    int status[64];
    int kind[64];
    char text[64][160];
    int null_result; /* results that were NULL */
    int close_first; /* close the client from the first callback */
    int closed;
} arec_t;

typedef struct atag {
    arec_t *rec;
    int kind;
} atag_t;

static void record(arec_t *r, mdata_client_t *c, int kind, int status,
                   const void *result, const mdata_error_t *err)
{
    int i = r->n++;

    CU_ASSERT_FATAL(i < 64);
    if (r->in_submit)
        r->inside = 1;
    r->count[kind]++;
    r->status[i] = status;
    r->kind[i] = kind;
    r->text[i][0] = '\0';
    /* result NULL exactly when status != 0 (or an absent string) */
    if (status != 0) {
        CU_ASSERT_PTR_NULL(result);
        CU_ASSERT_PTR_NOT_NULL_FATAL(err);
        CU_ASSERT_EQUAL(err->code, status);
        snprintf(r->text[i], sizeof(r->text[i]), "%s", err->text);
    } else {
        CU_ASSERT_PTR_NULL(err);
    }
    if (result == NULL)
        r->null_result++;
    if (r->close_first && r->n == 1)
        mdata_client_close(c, NULL, NULL);
}

static void on_nics(mdata_client_t *c, int status, const mdata_nic_list_t *l,
                    const mdata_error_t *err, void *ud)
{
    atag_t *t = ud;

    record(t->rec, c, K_NICS, status, l, err);
    if (status == 0 && t->rec->vm != NULL)
        check_nics(l, t->rec->vm);
}

static void on_routes(mdata_client_t *c, int status,
                      const mdata_route_list_t *l, const mdata_error_t *err,
                      void *ud)
{
    atag_t *t = ud;

    record(t->rec, c, K_ROUTES, status, l, err);
    if (status == 0 && t->rec->vm != NULL)
        check_routes(l, t->rec->vm);
}

static void on_resolvers(mdata_client_t *c, int status,
                         const mdata_resolver_list_t *l,
                         const mdata_error_t *err, void *ud)
{
    atag_t *t = ud;

    record(t->rec, c, K_RESOLVERS, status, l, err);
    if (status == 0 && t->rec->vm != NULL)
        check_resolvers(l, t->rec->vm);
}

static void on_string(mdata_client_t *c, int status, const char *v,
                      const mdata_error_t *err, void *ud)
{
    atag_t *t = ud;

    record(t->rec, c, t->kind, status, v, err);
    if (status == 0 && t->rec->vm != NULL)
        CU_ASSERT(str_eq(v, jstr(t->rec->vm, t->kind == K_HOST
                                                    ? "hostname"
                                                    : "dns_domain"),
                         "async string"));
}

static atag_t tags[5];

/* Submit one getter of each kind; returns how many were accepted. */
static int submit_all(mdata_client_t *c, arec_t *r, uint32_t ids[5])
{
    int ok = 0, k;

    for (k = 0; k < 5; k++) {
        tags[k].rec = r;
        tags[k].kind = k;
    }
    r->in_submit = 1;
    ok += mdata_get_nics(c, on_nics, &tags[K_NICS], &ids[0]) == 0;
    ok += mdata_get_routes(c, on_routes, &tags[K_ROUTES], &ids[1]) == 0;
    ok += mdata_get_resolvers(c, on_resolvers, &tags[K_RESOLVERS],
                              &ids[2]) == 0;
    ok += mdata_get_hostname(c, on_string, &tags[K_HOST], &ids[3]) == 0;
    ok += mdata_get_dns_domain(c, on_string, &tags[K_DOMAIN], &ids[4]) == 0;
    r->in_submit = 0;
    return ok;
}

static mdata_client_t *client_on(uv_loop_t *loop, const emu_t *e)
{
    mdata_options_t *o = NULL;
    mdata_client_t *c = NULL;

    CU_ASSERT_FATAL(mdata_options_new(&o) == 0);
    CU_ASSERT_FATAL(mdata_options_set_device(o, e->path) == 0);
    CU_ASSERT_FATAL(mdata_options_set_timeout_ms(o, 20000) == 0);
    CU_ASSERT_FATAL(mdata_client_new(loop, o, &c, NULL) == 0);
    mdata_options_free(o);
    return c;
}

static void on_closed(void *ud)
{
    *(int *)ud = 1;
}

static void close_client(uv_loop_t *loop, mdata_client_t *c)
{
    int closed = 0;

    mdata_client_close(c, on_closed, &closed);
    while (!closed)
        uv_run(loop, UV_RUN_ONCE);
    CU_ASSERT_EQUAL(uv_loop_close(loop), 0);
}

/* Three rounds of all five getters in flight at once on one client. */
static void async_vm(const char *vmfile, int pty)
{
    json_t *vm = load_vm(vmfile);
    emu_t e;
    uv_loop_t loop;
    mdata_client_t *c;
    arec_t r;
    uint32_t ids[3][5];
    int round, k;

    memset(&r, 0, sizeof(r));
    r.vm = vm;
    start(&e, pty, vmfile);
    CU_ASSERT_FATAL(uv_loop_init(&loop) == 0);
    c = client_on(&loop, &e);
    for (round = 0; round < 3; round++)
        CU_ASSERT_EQUAL(submit_all(c, &r, ids[round]), 5);
    CU_ASSERT_EQUAL(r.n, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CU_ASSERT_EQUAL(r.n, 15);
    CU_ASSERT_EQUAL(r.inside, 0);
    CU_ASSERT_EQUAL(r.null_result, 0);
    for (k = 0; k < 5; k++)
        CU_ASSERT_EQUAL(r.count[k], 3);
    for (k = 0; k < r.n; k++)
        CU_ASSERT_EQUAL(r.status[k], 0);
    if (pty == 0)
        CU_ASSERT_EQUAL(mdata_client_protocol(c), 2);
    close_client(&loop, c);
    stop(&e);
    json_decref(vm);
}

static void test_typed_async_sample_socket(void)
{
    async_vm(SAMPLE_VM, 0);
}

static void test_typed_async_sample_pty(void)
{
    async_vm(SAMPLE_VM, 1);
}

static void test_typed_async_d1_socket(void)
{
    async_vm(D1_VM, 0);
}

static void test_typed_async_d1_pty(void)
{
    async_vm(D1_VM, 1);
}

/* Parse failures and absent values through the async getters, all in
 * flight at once. */
static void test_typed_async_malformed_absent(void)
{
    char dir[64];
    const char *vm = temu_write_vm(dir, "vm.json", bad_vm);
    emu_t e;
    uv_loop_t loop;
    mdata_client_t *c;
    arec_t r;
    uint32_t ids[5];
    int i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
    memset(&r, 0, sizeof(r));
    start(&e, 0, vm);
    CU_ASSERT_FATAL(uv_loop_init(&loop) == 0);
    c = client_on(&loop, &e);
    CU_ASSERT_EQUAL(submit_all(c, &r, ids), 5);
    uv_run(&loop, UV_RUN_DEFAULT);
    CU_ASSERT_EQUAL_FATAL(r.n, 5);
    for (i = 0; i < r.n; i++) {
        switch (r.kind[i]) {
        case K_NICS:
            CU_ASSERT_EQUAL(r.status[i], MDATA_EJSON);
            CU_ASSERT(str_eq(r.text[i], NICS_MSG, "async nics"));
            break;
        case K_ROUTES:
            CU_ASSERT_EQUAL(r.status[i], MDATA_EJSON);
            CU_ASSERT(str_eq(r.text[i], ROUTES_MSG, "async routes"));
            break;
        case K_RESOLVERS:
            CU_ASSERT_EQUAL(r.status[i], MDATA_EJSON);
            CU_ASSERT(str_eq(r.text[i], RESOLVERS_MSG, "async resolvers"));
            break;
        default:
            CU_ASSERT_EQUAL(r.status[i], 0);
        }
    }
    close_client(&loop, c);
    stop(&e);
    temu_remove_vm(dir, "vm.json");

    /* the bare VM: hostname and dns_domain absent (0, NULL, err NULL),
     * routes and resolvers NOTFOUND, nics an empty list */
    vm = temu_write_vm(dir, "vm.json", bare_vm);
    CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
    memset(&r, 0, sizeof(r));
    start(&e, 1, vm);
    CU_ASSERT_FATAL(uv_loop_init(&loop) == 0);
    c = client_on(&loop, &e);
    CU_ASSERT_EQUAL(submit_all(c, &r, ids), 5);
    uv_run(&loop, UV_RUN_DEFAULT);
    CU_ASSERT_EQUAL_FATAL(r.n, 5);
    for (i = 0; i < r.n; i++) {
        if (r.kind[i] == K_ROUTES || r.kind[i] == K_RESOLVERS) {
            CU_ASSERT_EQUAL(r.status[i], MDATA_ENOTFOUND);
            CU_ASSERT(str_eq(r.text[i], mdata_strerror(MDATA_ENOTFOUND),
                             "notfound text"));
        } else {
            CU_ASSERT_EQUAL(r.status[i], 0);
        }
    }
    /* routes, resolvers (errors) and the two absent strings */
    CU_ASSERT_EQUAL(r.null_result, 4);
    close_client(&loop, c);
    stop(&e);
    temu_remove_vm(dir, "vm.json");
}

/* Cancel one getter by its id, close from inside a callback, and the
 * submit errors (callback never called). */
/* The async getters meet the typed keys' bounds too, with the key named. */
static void test_typed_async_key_caps(void)
{
    char dir[64], *text = caps_vm_text(((size_t)11 << 20) / 10);
    const char *vm = temu_write_vm(dir, "vm.json", text);
    emu_t e;
    uv_loop_t loop;
    mdata_client_t *c;
    arec_t r;
    uint32_t ids[5];
    int i;

    free(text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
    memset(&r, 0, sizeof(r));
    start(&e, 0, vm);
    CU_ASSERT_FATAL(uv_loop_init(&loop) == 0);
    c = client_on(&loop, &e);
    CU_ASSERT_EQUAL(submit_all(c, &r, ids), 5);
    uv_run(&loop, UV_RUN_DEFAULT);
    CU_ASSERT_EQUAL_FATAL(r.n, 5);
    for (i = 0; i < r.n; i++) {
        if (r.kind[i] == K_NICS) {
            CU_ASSERT_EQUAL(r.status[i], MDATA_ETOOBIG);
            CU_ASSERT(str_eq(r.text[i],
                             "sdc:nics: the value is over the bound for "
                             "this key (mdata_options_set_key_max_reply)",
                             "async nics too big"));
        } else if (r.kind[i] == K_HOST) {
            CU_ASSERT_EQUAL(r.status[i], MDATA_ETOOBIG);
        } else if (r.kind[i] == K_ROUTES) {
            CU_ASSERT_EQUAL(r.status[i], MDATA_ENOTFOUND);
        } else {
            CU_ASSERT_EQUAL(r.status[i], 0);
        }
    }
    close_client(&loop, c);
    stop(&e);
    temu_remove_vm(dir, "vm.json");
}

static void test_typed_async_cancel_close(void)
{
    emu_t e;
    uv_loop_t loop;
    mdata_client_t *c;
    arec_t r;
    uint32_t ids[5];
    int i;

    memset(&r, 0, sizeof(r));
    start(&e, 0, SAMPLE_VM);
    CU_ASSERT_FATAL(uv_loop_init(&loop) == 0);
    c = client_on(&loop, &e);
    CU_ASSERT_EQUAL(submit_all(c, &r, ids), 5);
    CU_ASSERT_EQUAL(mdata_client_cancel(c, ids[0]), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CU_ASSERT_EQUAL_FATAL(r.n, 5);
    CU_ASSERT_EQUAL(r.inside, 0);
    for (i = 0; i < r.n; i++)
        CU_ASSERT_EQUAL(r.status[i], r.kind[i] == K_NICS ? MDATA_ECANCELED
                                                         : 0);

    /* bad submits */
    CU_ASSERT_EQUAL(mdata_get_nics(c, NULL, NULL, NULL), MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_get_routes(NULL, on_routes, &tags[1], NULL),
                    MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_get_hostname(c, NULL, NULL, NULL), MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_get_dns_domain(NULL, on_string, &tags[4], NULL),
                    MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_get_resolvers(c, NULL, NULL, NULL), MDATA_EINVAL);

    /* close from the first callback: every other getter still completes
     * exactly once, with its value when its reply was already in hand,
     * else MDATA_ECANCELED */
    memset(&r, 0, sizeof(r));
    r.close_first = 1;
    CU_ASSERT_EQUAL(submit_all(c, &r, ids), 5);
    uv_run(&loop, UV_RUN_DEFAULT);
    CU_ASSERT_EQUAL_FATAL(r.n, 5);
    for (i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(r.count[i], 1);
    for (i = 1; i < r.n; i++)
        CU_ASSERT(r.status[i] == 0 || r.status[i] == MDATA_ECANCELED);
    CU_ASSERT_EQUAL(uv_loop_close(&loop), 0);
    stop(&e);
}

static CU_TestInfo sync_tests[] = {
    {"test_typed_sync_sample_socket", test_typed_sync_sample_socket},
    {"test_typed_sync_sample_pty", test_typed_sync_sample_pty},
    {"test_typed_sync_d1_socket", test_typed_sync_d1_socket},
    {"test_typed_sync_d1_pty", test_typed_sync_d1_pty},
    {"test_typed_sync_sample_values", test_typed_sync_sample_values},
    {"test_typed_sync_absent", test_typed_sync_absent},
    {"test_typed_sync_malformed", test_typed_sync_malformed},
    {"test_typed_sync_hostname_nul", test_typed_sync_hostname_nul},
    {"test_typed_sync_bad_args", test_typed_sync_bad_args},
    {"test_typed_sync_key_caps", test_typed_sync_key_caps},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo async_tests[] = {
    {"test_typed_async_sample_socket", test_typed_async_sample_socket},
    {"test_typed_async_sample_pty", test_typed_async_sample_pty},
    {"test_typed_async_d1_socket", test_typed_async_d1_socket},
    {"test_typed_async_d1_pty", test_typed_async_d1_pty},
    {"test_typed_async_malformed_absent", test_typed_async_malformed_absent},
    {"test_typed_async_cancel_close", test_typed_async_cancel_close},
    {"test_typed_async_key_caps", test_typed_async_key_caps},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo mdata_test_suites[] = {
    {"sync", NULL, NULL, NULL, NULL, sync_tests},
    {"async", NULL, NULL, NULL, NULL, async_tests},
    CU_SUITE_INFO_NULL,
};
