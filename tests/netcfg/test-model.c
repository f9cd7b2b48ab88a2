/* test-model: mdata-netcfg's model and helpers as pure functions (the
 * golden files in test_netcfg.py cover the renderers end to end). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "input.h"
#include "model.h"
#include "output.h"
#include "render.h"
#include "testutil.h"

static mdata_ip_t ip(const char *text)
{
    mdata_ip_t a;

    memset(&a, 0, sizeof(a));
    CU_ASSERT_FATAL(mdata_ip_parse(text, strlen(text),
                                   MDATA_IP_PREFIX_OPTIONAL, &a, NULL) == 0);
    return a;
}

static void test_model_ip_in_net(void)
{
    mdata_ip_t n24 = ip("10.1.2.3/24"), n0 = ip("0.0.0.0/0");
    mdata_ip_t n31 = ip("10.0.0.0/31"), n64 = ip("2001:db8::5/64");
    mdata_ip_t a;

    a = ip("10.1.2.254");
    CU_ASSERT(nc_ip_in_net(&n24, &a));
    a = ip("10.1.3.1");
    CU_ASSERT(!nc_ip_in_net(&n24, &a));
    a = ip("192.0.2.1");
    CU_ASSERT(nc_ip_in_net(&n0, &a));
    a = ip("10.0.0.1");
    CU_ASSERT(nc_ip_in_net(&n31, &a));
    a = ip("10.0.0.2");
    CU_ASSERT(!nc_ip_in_net(&n31, &a));
    a = ip("2001:db8::ffff:1");
    CU_ASSERT(nc_ip_in_net(&n64, &a));
    a = ip("2001:db8:0:1::1");
    CU_ASSERT(!nc_ip_in_net(&n64, &a));
    a = ip("10.1.2.3");
    CU_ASSERT(!nc_ip_in_net(&n64, &a)); /* families differ */
    a = ip("fe80::1");
    CU_ASSERT(nc_ip_is_linklocal6(&a));
    a = ip("fec0::1");
    CU_ASSERT(!nc_ip_is_linklocal6(&a));
}

static void test_model_names(void)
{
    CU_ASSERT(nc_hostname_valid("web01"));
    CU_ASSERT(nc_hostname_valid("web-01.example.com"));
    CU_ASSERT(nc_hostname_valid("a"));
    CU_ASSERT(!nc_hostname_valid(""));
    CU_ASSERT(!nc_hostname_valid("-web"));
    CU_ASSERT(!nc_hostname_valid("web-"));
    CU_ASSERT(!nc_hostname_valid("a..b"));
    CU_ASSERT(!nc_hostname_valid("a.b."));
    CU_ASSERT(!nc_hostname_valid("bad_host"));
    CU_ASSERT(!nc_hostname_valid("h\xc3\xa9"));
    CU_ASSERT(!nc_hostname_valid("a b"));
    CU_ASSERT(!nc_hostname_valid(
        "a234567890123456789012345678901234567890123456789012345678901234"));
    CU_ASSERT(nc_ifname_valid("eth0"));
    CU_ASSERT(nc_ifname_valid("vtnet1.5"));
    CU_ASSERT(!nc_ifname_valid("../etc"));
    CU_ASSERT(!nc_ifname_valid("a/b"));
    CU_ASSERT(!nc_ifname_valid("0123456789abcdef")); /* 16 > IFNAMSIZ-1 */
    CU_ASSERT(!nc_ifname_valid("a'b"));
    /* the same for rc.conf or a case-insensitive file system */
    CU_ASSERT(nc_ifname_same("vtnet0.1", "vtnet0_1"));
    CU_ASSERT(nc_ifname_same("vtnet0-1", "VTNET0.1"));
    CU_ASSERT(!nc_ifname_same("net1", "net10"));
    CU_ASSERT(!nc_ifname_same("net1", "net2"));
    CU_ASSERT(nc_ifname_reserved("lo"));
    CU_ASSERT(nc_ifname_reserved("LO0"));
    CU_ASSERT(nc_ifname_reserved("all"));
    CU_ASSERT(nc_ifname_reserved("DEFAULT"));
    CU_ASSERT(nc_ifname_reserved("bonding_masters"));
    CU_ASSERT(nc_ifname_reserved("em0_ipv6"));
    CU_ASSERT(nc_ifname_reserved("em0.alias12"));
    CU_ASSERT(nc_ifname_reserved("em0_alias"));
    CU_ASSERT(nc_ifname_reserved("em0-aliases"));
    CU_ASSERT(nc_ifname_reserved("em0_name"));
    CU_ASSERT(nc_ifname_reserved("em0_descr"));
    CU_ASSERT(!nc_ifname_reserved("ipv6"));      /* no interface before */
    CU_ASSERT(!nc_ifname_reserved("_name"));
    CU_ASSERT(!nc_ifname_reserved("em0_alias1x"));
    CU_ASSERT(!nc_ifname_reserved("eth0"));
    CU_ASSERT(!nc_ifname_reserved("lo1"));
    CU_ASSERT(!nc_ifname_reserved("vtnet0.100"));
}

static void test_model_buf_and_quote(void)
{
    nc_buf_t b;
    char *p;
    size_t len, i;

    nc_buf_init(&b);
    p = nc_buf_take(&b, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(len, 0);
    CU_ASSERT_STRING_EQUAL(p, "");
    free(p);
    for (i = 0; i < 1000; i++)
        nc_buf_printf(&b, "%04zu", i);
    CU_ASSERT_EQUAL(b.len, 4000);
    CU_ASSERT_EQUAL(memcmp(b.data + 3996, "0999", 4), 0);
    nc_buf_free(&b);
    nc_sh_quote(&b, "it's");
    CU_ASSERT_STRING_EQUAL(b.data, "'it'\\''s'");
    nc_buf_free(&b);
}

/* Build a model from raw key values (NULL = absent). */
static nc_model_t *build(const char *nics, const char *routes,
                         const char *resolvers)
{
    nc_model_t *m = NULL;
    nc_raw_t raw;
    char why[256];

    nc_raw_init(&raw);
    CU_ASSERT_FATAL(nc_raw_set(&raw, NC_KEY_NICS, nics, strlen(nics)) == 0);
    if (routes != NULL)
        CU_ASSERT_FATAL(nc_raw_set(&raw, NC_KEY_ROUTES, routes,
                                   strlen(routes)) == 0);
    if (resolvers != NULL)
        CU_ASSERT_FATAL(nc_raw_set(&raw, NC_KEY_RESOLVERS, resolvers,
                                   strlen(resolvers)) == 0);
    CU_ASSERT_FATAL(nc_raw_set(&raw, NC_KEY_HOSTNAME, " web01\n", 7) == 0);
    CU_ASSERT_EQUAL(nc_model_from_raw(&raw, &m, why, sizeof(why)), 0);
    nc_raw_free(&raw);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    return m;
}

/* doc/protocol.md §6.4 D.1 */
static const char d1_nics[] =
    "[{\"interface\":\"net0\",\"mac\":\"aa:bb:cc:12:34:56\",\"gateways\":"
    "[\"172.19.1.1\"],\"ips\":[\"172.19.1.2/24\"],\"primary\":true},"
    "{\"interface\":\"net1\",\"mac\":\"aa:bb:cc:12:34:57\",\"gateways\":"
    "[\"172.20.1.1\"],\"ips\":[\"172.20.1.2/24\"]},"
    "{\"interface\":\"net2\",\"mac\":\"aa:bb:cc:12:34:58\",\"ips\":"
    "[\"dhcp\"]}]";
static const char d1_routes[] =
    "[{\"linklocal\":true,\"dst\":\"172.21.1.1\",\"gateway\":\"172.20.1.2\"},"
    "{\"linklocal\":false,\"dst\":\"172.22.2.0/24\",\"gateway\":"
    "\"172.19.1.1\"}]";

static void test_model_rules(void)
{
    nc_model_t *m = build(d1_nics, d1_routes, "[\"8.8.8.8\"]");
    char t[MDATA_IP_TEXT_MAX];

    CU_ASSERT_EQUAL_FATAL(m->niface, 3);
    CU_ASSERT_EQUAL(m->nwarn, 0);
    CU_ASSERT_STRING_EQUAL(m->hostname, "web01"); /* white space trimmed */
    /* gateways only from the primary nic */
    CU_ASSERT(m->iface[0].primary && m->iface[0].has_gw4);
    CU_ASSERT_STRING_EQUAL(nc_ip_text(&m->iface[0].gw4, 0, t), "172.19.1.1");
    CU_ASSERT(!m->iface[1].has_gw4);
    CU_ASSERT(m->iface[2].dhcp4 && m->iface[2].naddr == 0);
    /* link-local: on-link through the owner of the gateway address */
    CU_ASSERT_EQUAL_FATAL(m->iface[1].nroute, 1);
    CU_ASSERT(m->iface[1].route[0].onlink);
    CU_ASSERT_STRING_EQUAL(nc_ip_text(&m->iface[1].route[0].dst, 1, t),
                           "172.21.1.1/32");
    /* a gateway route on the nic whose network holds the gateway */
    CU_ASSERT_EQUAL_FATAL(m->iface[0].nroute, 1);
    CU_ASSERT(!m->iface[0].route[0].onlink);
    CU_ASSERT_PTR_EQUAL(nc_model_dns_iface(m), &m->iface[0]);
    CU_ASSERT_EQUAL(m->ndns, 1);
    nc_model_free(m);
}

static void test_model_odd_data_warns(void)
{
    nc_model_t *m = build(
        "[{\"interface\":\"net0\",\"mac\":\"aa:bb:cc:00:00:01\",\"ips\":"
        "[\"2001:db8::5/64\"],\"gateways\":[\"fe80::1\"],\"primary\":true},"
        "{\"interface\":\"net1\",\"mac\":\"aa:bb:cc:00:00:02\",\"ips\":[],"
        "\"primary\":true}]",
        "not json", "[\"8.8.8.8\",\"8.8.8.8\"]");

    CU_ASSERT(m->iface[0].has_gw6); /* link-local IPv6 router */
    CU_ASSERT(!m->iface[1].primary);
    CU_ASSERT_EQUAL(m->ndns, 1);
    /* two primaries, a nic without addresses, bad sdc:routes, repeated
     * resolver */
    CU_ASSERT_EQUAL(m->nwarn, 4);
    nc_model_free(m);
}

/* Fallback names never take a name another nic keeps, whatever the
 * order; reserved and same-for-rc.conf names are replaced. */
static void test_model_unique_names(void)
{
    nc_model_t *m = build(
        "[{\"interface\":\"net1\",\"mac\":\"aa:bb:cc:00:01:01\",\"ips\":"
        "[\"10.0.0.2/24\"],\"gateways\":[\"10.0.0.1\"],\"primary\":true},"
        "{\"mac\":\"aa:bb:cc:00:01:02\",\"ips\":[\"dhcp\"]},"
        "{\"interface\":\"lo\",\"mac\":\"aa:bb:cc:00:01:03\",\"ips\":[]},"
        "{\"interface\":\"net2\",\"mac\":\"aa:bb:cc:00:01:04\",\"ips\":[]},"
        "{\"interface\":\"NET2\",\"mac\":\"aa:bb:cc:00:01:05\",\"ips\":[]},"
        "{\"interface\":\"a.b\",\"mac\":\"aa:bb:cc:00:01:06\",\"ips\":[]},"
        "{\"interface\":\"a_b\",\"mac\":\"aa:bb:cc:00:01:07\",\"ips\":[]}]",
        NULL, NULL);
    static const char *const want[] = {"net1", "net3", "net4", "net2",
                                       "net5", "a.b", "net6"};
    size_t i, k;

    CU_ASSERT_EQUAL_FATAL(m->niface, 7);
    for (i = 0; i < m->niface; i++) {
        CU_ASSERT_STRING_EQUAL(m->iface[i].name, want[i]);
        CU_ASSERT_STRING_EQUAL(m->iface[i].ifname, want[i]);
        CU_ASSERT(!nc_ifname_reserved(m->iface[i].name));
        for (k = 0; k < i; k++)
            CU_ASSERT(!nc_ifname_same(m->iface[i].name, m->iface[k].name));
    }
    /* the dhcp nic is not the primary: not required for "online" */
    CU_ASSERT(m->iface[1].optional && !m->iface[0].optional);
    nc_model_free(m);
}

/* One default route per family: the primary's gateway; defaults of
 * sdc:routes are ignored with a warning. */
static void test_model_one_default(void)
{
    nc_model_t *m = build(
        "[{\"interface\":\"net0\",\"mac\":\"aa:bb:cc:00:02:01\",\"ips\":"
        "[\"10.0.0.2/24\"],\"gateways\":[\"10.0.0.1\"],\"primary\":true},"
        "{\"interface\":\"net1\",\"mac\":\"aa:bb:cc:00:02:02\",\"ips\":"
        "[\"10.1.0.2/24\",\"fd00::2/64\"]}]",
        "[{\"linklocal\":false,\"dst\":\"0.0.0.0/0\",\"gateway\":\"10.1.0.1\"},"
        "{\"linklocal\":false,\"dst\":\"::/0\",\"gateway\":\"fd00::1\"},"
        "{\"linklocal\":false,\"dst\":\"0.0.0.0/1\",\"gateway\":\"10.1.0.1\"}]",
        NULL);

    CU_ASSERT(m->iface[0].has_gw4 && !m->iface[0].has_gw6);
    CU_ASSERT(!m->iface[1].has_gw4 && !m->iface[1].has_gw6);
    CU_ASSERT_EQUAL_FATAL(m->iface[1].nroute, 1); /* 0.0.0.0/1 only */
    CU_ASSERT_EQUAL(m->iface[1].route[0].dst.prefix, 1);
    CU_ASSERT_EQUAL(m->nwarn, 2);
    nc_model_free(m);
}

static void test_model_errors(void)
{
    nc_model_t *m = (nc_model_t *)1;
    nc_raw_t raw;
    char why[256];

    nc_raw_init(&raw);
    CU_ASSERT_EQUAL(nc_model_from_raw(&raw, &m, why, sizeof(why)),
                    MDATA_ENOTFOUND);
    CU_ASSERT_PTR_NULL(m);
    CU_ASSERT_FATAL(nc_raw_set(&raw, NC_KEY_NICS, "{}", 2) == 0);
    CU_ASSERT(nc_model_from_raw(&raw, &m, why, sizeof(why)) < 0);
    CU_ASSERT(strncmp(why, "sdc:nics: ", 10) == 0);
    nc_raw_free(&raw);
}

static void test_model_render_empty(void)
{
    nc_model_t *m = build("[]", NULL, NULL);
    const nc_format_t *f;

    CU_ASSERT_EQUAL(m->nwarn, 1); /* "sdc:nics lists no nic" */
    for (f = nc_formats; f->name != NULL; f++) {
        nc_files_t files;

        nc_files_init(&files);
        CU_ASSERT_EQUAL(f->render(m, &files), 0);
        nc_files_free(&files);
    }
    nc_model_free(m);
}

static void test_model_output_dir(void)
{
    char dir[] = "/tmp/netcfg-test-XXXXXX", why[256];
    nc_model_t *m = build(d1_nics, d1_routes, NULL);
    nc_files_t files;
    int changed = -1;
    struct stat st;

    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    nc_files_init(&files);
    CU_ASSERT_EQUAL_FATAL(nc_render_networkd(m, &files), 0);
    CU_ASSERT_EQUAL(nc_output_dir(dir, &files, 0, &changed, why,
                                  sizeof(why)), 0);
    CU_ASSERT_EQUAL(changed, 3);
    CU_ASSERT_EQUAL(nc_output_dir(dir, &files, 0, &changed, why,
                                  sizeof(why)), 0);
    CU_ASSERT_EQUAL(changed, 0);
    files.file[1].mode = 0600; /* a mode change alone rewrites */
    CU_ASSERT_EQUAL(nc_output_dir(dir, &files, 0, &changed, why,
                                  sizeof(why)), 0);
    CU_ASSERT_EQUAL(changed, 1);
    for (size_t i = 0; i < files.n; i++) {
        char path[512];

        snprintf(path, sizeof(path), "%s/%s", dir, files.file[i].name);
        CU_ASSERT(stat(path, &st) == 0 &&
                  (st.st_mode & 07777) == files.file[i].mode);
        unlink(path);
    }
    CU_ASSERT(rmdir(dir) == 0); /* no temporary files left */
    nc_files_free(&files);
    nc_model_free(m);
}

static CU_TestInfo model_tests[] = {
    {"test_model_ip_in_net", test_model_ip_in_net},
    {"test_model_names", test_model_names},
    {"test_model_buf_and_quote", test_model_buf_and_quote},
    {"test_model_rules", test_model_rules},
    {"test_model_odd_data_warns", test_model_odd_data_warns},
    {"test_model_unique_names", test_model_unique_names},
    {"test_model_one_default", test_model_one_default},
    {"test_model_errors", test_model_errors},
    {"test_model_render_empty", test_model_render_empty},
    {"test_model_output_dir", test_model_output_dir},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo mdata_test_suites[] = {
    {"netcfg-model", NULL, NULL, NULL, NULL, model_tests},
    CU_SUITE_INFO_NULL,
};
