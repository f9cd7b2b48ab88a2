/*
 * sdc:nics: every payload of doc/protocol.md §6.4 and §6.5 field by field,
 * the legacy-only nic, IPv6 and addrconf, raw fields, dup, empty lists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "testutil.h"

#define V4 MDATA_AF_INET
#define V6 MDATA_AF_INET6

typedef struct exp_ip {
    const char *text;
    int family;
    unsigned prefix;
    const char *canon;
} exp_ip_t;

/* What one nic must hold; NULL strings mean "absent". */
typedef struct exp_nic {
    const char *interface, *mac, *tag, *uuid, *model;
    unsigned vlan, mtu;
    int primary, legacy;
    exp_ip_t ips[5];      /* up to the first NULL text */
    exp_ip_t gateways[4]; /* idem */
} exp_nic_t;

#define UUID_EXT "992fc7ce-6aac-4b74-aed6-7b9d2c6c0bfe"
#define UUID_INT "98657fdf-11f4-4ee2-88a4-ce7fe73e33a6"

static void check_nic(const mdata_nic_t *nic, const exp_nic_t *e)
{
    uint8_t mac[6];
    char mactext[18];
    size_t n;

    CU_ASSERT_PTR_NOT_NULL_FATAL(nic);
    TT_ASSERT_STR(mdata_nic_interface(nic), e->interface);
    TT_ASSERT_STR(mdata_nic_mac_text(nic), e->mac);
    mdata_nic_mac(nic, mac);
    snprintf(mactext, sizeof(mactext), "%02x:%02x:%02x:%02x:%02x:%02x",
             mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    TT_ASSERT_STR(mactext, e->mac);
    TT_ASSERT_STR(mdata_nic_tag(nic), e->tag);
    TT_ASSERT_STR(mdata_nic_network_uuid(nic), e->uuid);
    TT_ASSERT_STR(mdata_nic_model(nic), e->model);
    CU_ASSERT_EQUAL(mdata_nic_vlan_id(nic), e->vlan);
    CU_ASSERT_EQUAL(mdata_nic_mtu(nic), e->mtu);
    CU_ASSERT_EQUAL(mdata_nic_is_primary(nic), e->primary);
    CU_ASSERT_EQUAL(mdata_nic_ips_are_legacy(nic), e->legacy);
    for (n = 0; e->ips[n].text != NULL; n++)
        TT_ASSERT_IP(mdata_nic_ip_at(nic, n), e->ips[n].family,
                     e->ips[n].text, e->ips[n].prefix, e->ips[n].canon);
    CU_ASSERT_EQUAL(mdata_nic_ip_count(nic), n);
    CU_ASSERT_PTR_NULL(mdata_nic_ip_at(nic, n));
    for (n = 0; e->gateways[n].text != NULL; n++)
        TT_ASSERT_IP(mdata_nic_gateway_at(nic, n), e->gateways[n].family,
                     e->gateways[n].text, e->gateways[n].prefix,
                     e->gateways[n].canon);
    CU_ASSERT_EQUAL(mdata_nic_gateway_count(nic), n);
    CU_ASSERT_PTR_NULL(mdata_nic_gateway_at(nic, n));
}

static void check_file(const char *name, const exp_nic_t *e, size_t count)
{
    mdata_nic_list_t *list = tt_nics_file(name), *copy = NULL;
    size_t i;

    CU_ASSERT_EQUAL(mdata_nic_list_count(list), count);
    for (i = 0; i < count; i++)
        check_nic(mdata_nic_list_at(list, i), &e[i]);
    CU_ASSERT_PTR_NULL(mdata_nic_list_at(list, count));
    /* The copy holds the same, and outlives the original. */
    CU_ASSERT_EQUAL_FATAL(mdata_nic_list_dup(list, &copy), 0);
    mdata_nic_list_free(list);
    CU_ASSERT_EQUAL(mdata_nic_list_count(copy), count);
    for (i = 0; i < count; i++)
        check_nic(mdata_nic_list_at(copy, i), &e[i]);
    mdata_nic_list_free(copy);
}

#define IP4(t, p, c) {t, V4, p, c}
#define IP6(t, p, c) {t, V6, p, c}
#define GW4(t) {t, V4, 32, t}
#define GW6(t, c) {t, V6, 128, c}
#define DHCP {"dhcp", MDATA_AF_DHCP, 0, "dhcp"}
#define ADDRCONF {"addrconf", MDATA_AF_ADDRCONF, 0, "addrconf"}

/* B.4 D.1: OS zone, 3 nics, exact bytes of GET sdc:nics. */
static void test_nics_d1_os_zone(void)
{
    static const exp_nic_t e[] = {
        {"net0", "aa:bb:cc:12:34:56", "admin", NULL, NULL, 0, 0, 1, 0,
         {IP4("172.19.1.2/24", 24, "172.19.1.2")},
         {GW4("172.19.1.1")}},
        {"net1", "aa:bb:cc:12:34:57", "admin", NULL, NULL, 0, 0, 0, 0,
         {IP4("172.20.1.2/24", 24, "172.20.1.2")},
         {{NULL, 0, 0, NULL}}},
        {"net2", "aa:bb:cc:12:34:58", "external", NULL, NULL, 0, 0, 0, 0,
         {DHCP},
         {{NULL, 0, 0, NULL}}},
    };
    mdata_nic_list_t *list;
    const mdata_nic_t *nic;
    static const char *const names[] = {"interface", "mac",      "nic_tag",
                                        "gateway",   "gateways", "netmask",
                                        "ip",        "ips",      "primary"};
    size_t i;

    check_file("d1-nics.json", e, 3);

    list = tt_nics_file("d1-nics.json");
    nic = mdata_nic_list_at(list, 0);
    CU_ASSERT_EQUAL(mdata_nic_flags(nic), 0);
    CU_ASSERT_EQUAL(mdata_nic_vrrp_vrid(nic), -1);
    CU_ASSERT_PTR_NULL(mdata_nic_vrrp_primary_ip(nic));
    CU_ASSERT_EQUAL(mdata_nic_allowed_ip_count(nic), 0);
    CU_ASSERT_EQUAL(mdata_nic_allowed_dhcp_cid_count(nic), 0);
    CU_ASSERT_EQUAL(mdata_nic_blocked_port_count(nic), 0);
    CU_ASSERT_EQUAL(mdata_nic_blocked_port_at(nic, 0), 0);
    /* Every member, in document order, as raw JSON. */
    CU_ASSERT_EQUAL(mdata_nic_field_count(nic), 9);
    for (i = 0; i < 9; i++)
        TT_ASSERT_STR(mdata_nic_field_name_at(nic, i), names[i]);
    CU_ASSERT_PTR_NULL(mdata_nic_field_name_at(nic, 9));
    TT_ASSERT_STR(mdata_nic_field_json(nic, "gateway"), "\"172.19.1.1\"");
    TT_ASSERT_STR(mdata_nic_field_json(nic, "gateways"), "[\"172.19.1.1\"]");
    TT_ASSERT_STR(mdata_nic_field_json(nic, "netmask"), "\"255.255.255.0\"");
    TT_ASSERT_STR(mdata_nic_field_json(nic, "ips"), "[\"172.19.1.2/24\"]");
    TT_ASSERT_STR(mdata_nic_field_json(nic, "primary"), "true");
    CU_ASSERT_PTR_NULL(mdata_nic_field_json(nic, "mtu"));
    CU_ASSERT_PTR_NULL(mdata_nic_field_json(nic, NULL));
    /* Lookups. */
    CU_ASSERT_PTR_EQUAL(mdata_nic_list_primary(list), nic);
    CU_ASSERT_PTR_EQUAL(mdata_nic_list_find_interface(list, "net2"),
                        mdata_nic_list_at(list, 2));
    CU_ASSERT_PTR_NULL(mdata_nic_list_find_interface(list, "net3"));
    {
        static const uint8_t mac57[6] = {0xaa, 0xbb, 0xcc, 0x12, 0x34, 0x57};
        static const uint8_t other[6] = {0xaa, 0xbb, 0xcc, 0x12, 0x34, 0x59};

        CU_ASSERT_PTR_EQUAL(mdata_nic_list_find_mac(list, mac57),
                            mdata_nic_list_at(list, 1));
        CU_ASSERT_PTR_NULL(mdata_nic_list_find_mac(list, other));
    }
    mdata_nic_list_free(list);
}

/* B.4 D.2: bhyve dual stack with addrconf, IPv6 gateway, mtu 9000. */
static void test_nics_d2_dual_stack_addrconf(void)
{
    static const exp_nic_t e[] = {
        {"net0", "90:b8:d0:ae:64:51", "external", UUID_EXT, "virtio", 324,
         1500, 1, 0,
         {IP6("2001::10/64", 64, "2001::10"),
          IP4("8.12.42.51/24", 24, "8.12.42.51"), ADDRCONF},
         {GW4("8.12.42.1"), GW6("2001::1", "2001::1")}},
        {"net1", "90:b8:d0:bd:4f:9c", "internal", UUID_INT, "virtio", 600,
         9000, 0, 0,
         {IP4("10.210.1.217/24", 24, "10.210.1.217")},
         {{NULL, 0, 0, NULL}}},
    };
    static const uint8_t v6[16] = {0x20, 0x01, 0, 0, 0, 0, 0, 0,
                                   0,    0,    0, 0, 0, 0, 0, 0x10};
    mdata_nic_list_t *list;

    check_file("d2-nics.json", e, 2);
    list = tt_nics_file("d2-nics.json");
    CU_ASSERT(memcmp(mdata_nic_ip_at(mdata_nic_list_at(list, 0), 0)->addr, v6,
                     16) == 0);
    mdata_nic_list_free(list);
}

/*
 * B.4 D.7, maximal-joyent nic 1: a legacy nic (no ips, no gateways) with
 * every optional field.
 */
static void test_nics_d7_maximal_legacy(void)
{
    static const exp_nic_t e[] = {
        {"net1", "00:00:5e:00:01:01", "admin",
         "298ec546-4b2c-41b4-ba58-6034b1fa8e02", NULL, 1337, 0, 1, 1,
         {IP4("10.10.10.11/24", 24, "10.10.10.11")},
         {GW4("10.10.10.1")}},
    };
    mdata_nic_list_t *list;
    const mdata_nic_t *nic;

    check_file("d7-maximal-nic.json", e, 1);
    list = tt_nics_file("d7-maximal-nic.json");
    nic = mdata_nic_list_at(list, 0);
    CU_ASSERT_EQUAL(mdata_nic_flags(nic),
                    MDATA_NIC_ALLOW_DHCP_SPOOFING | MDATA_NIC_ALLOW_IP_SPOOFING |
                        MDATA_NIC_ALLOW_MAC_SPOOFING |
                        MDATA_NIC_ALLOW_RESTRICTED_TRAFFIC |
                        MDATA_NIC_ALLOW_UNFILTERED_PROMISC |
                        MDATA_NIC_DHCP_SERVER);
    CU_ASSERT_EQUAL_FATAL(mdata_nic_allowed_ip_count(nic), 2);
    TT_ASSERT_IP(mdata_nic_allowed_ip_at(nic, 0), V4, "10.10.10.11", 32,
                 "10.10.10.11");
    TT_ASSERT_IP(mdata_nic_allowed_ip_at(nic, 1), V4, "10.10.10.12", 32,
                 "10.10.10.12");
    CU_ASSERT_PTR_NULL(mdata_nic_allowed_ip_at(nic, 2));
    CU_ASSERT_EQUAL_FATAL(mdata_nic_blocked_port_count(nic), 2);
    CU_ASSERT_EQUAL(mdata_nic_blocked_port_at(nic, 0), 25);
    CU_ASSERT_EQUAL(mdata_nic_blocked_port_at(nic, 1), 587);
    CU_ASSERT_EQUAL(mdata_nic_vrrp_vrid(nic), 1);
    TT_ASSERT_IP(mdata_nic_vrrp_primary_ip(nic), V4, "10.10.10.10", 32,
                 "10.10.10.10");
    /* The legacy fields themselves stay reachable, raw. */
    TT_ASSERT_STR(mdata_nic_field_json(nic, "ip"), "\"10.10.10.11\"");
    TT_ASSERT_STR(mdata_nic_field_json(nic, "blocked_outgoing_ports"),
                  "[25,587]");
    CU_ASSERT_EQUAL(mdata_nic_field_count(nic), 19);
    mdata_nic_list_free(list);
}

/* B.4 D.7, kvm-disk-sort nic: a modern kvm nic. */
static void test_nics_d7_kvm(void)
{
    static const exp_nic_t e[] = {
        {"net0", "b2:db:d2:3f:36:d9", "admin", NULL, "virtio", 0, 0, 1, 0,
         {IP4("10.88.88.213/24", 24, "10.88.88.213")},
         {GW4("10.88.88.2")}},
    };

    check_file("d7-kvm-nic.json", e, 1);
}

/* C.7.1 SDC_NICS (= B.4 D.3): Triton KVM public + fabric overlay. */
static void test_nics_c7_sdc_nics(void)
{
    static const exp_nic_t e[] = {
        {"net0", "90:b8:d0:f5:e4:f5", "external", UUID_EXT, "virtio", 324,
         1500, 1, 0,
         {IP4("8.12.42.102/24", 24, "8.12.42.102")},
         {GW4("8.12.42.1")}},
        {"net1", "90:b8:d0:a5:ff:cd", "sdc_overlay/16187209",
         "4cad71da-09bc-452b-986d-03562a03a0a9", "virtio", 2, 8500, 0, 0,
         {IP4("192.168.128.93/22", 22, "192.168.128.93")},
         {GW4("192.168.128.1")}},
    };

    check_file("c7-sdc-nics.json", e, 2);
}

static const exp_nic_t alt_net0 = {
    "net0", "90:b8:d0:ae:64:51", "external", UUID_EXT, "virtio", 324, 1500,
    1, 0,
    {IP4("8.12.42.51/24", 24, "8.12.42.51")},
    {GW4("8.12.42.1")}};

static void test_nics_c7_alt(void)
{
    const exp_nic_t e[] = {
        alt_net0,
        {"net1", "90:b8:d0:bd:4f:9c", "internal", UUID_INT, "virtio", 600,
         1500, 0, 0,
         {IP4("10.210.1.217/24", 24, "10.210.1.217")},
         {{NULL, 0, 0, NULL}}},
    };

    check_file("c7-sdc-nics-alt.json", e, 2);
}

/* C.7.1 SDC_NICS_DHCP (= B.4 D.4): ips ["dhcp"] while the legacy ip
 * still names an address; ips wins. */
static void test_nics_c7_dhcp(void)
{
    const exp_nic_t e[] = {
        alt_net0,
        {"net1", "90:b8:d0:bd:4f:9c", "internal", UUID_INT, "virtio", 600,
         1500, 0, 0,
         {DHCP},
         {{NULL, 0, 0, NULL}}},
    };

    check_file("c7-sdc-nics-dhcp.json", e, 2);
}

static void test_nics_c7_multiple_ips(void)
{
    const exp_nic_t e[] = {
        {"net0", "90:b8:d0:ae:64:51", "external", UUID_EXT, "virtio", 324,
         1500, 1, 0,
         {IP4("8.12.42.51/24", 24, "8.12.42.51"),
          IP4("8.12.42.52/24", 24, "8.12.42.52")},
         {GW4("8.12.42.1")}},
        {"net1", "90:b8:d0:bd:4f:9c", "internal", UUID_INT, "virtio", 600,
         1500, 0, 0,
         {IP4("10.210.1.217/24", 24, "10.210.1.217"),
          IP4("10.210.1.151/24", 24, "10.210.1.151")},
         {{NULL, 0, 0, NULL}}},
    };

    check_file("c7-sdc-nics-mip.json", e, 2);
}

static void test_nics_c7_multiple_ips_ipv6(void)
{
    const exp_nic_t e[] = {
        {"net0", "90:b8:d0:ae:64:51", "external", UUID_EXT, "virtio", 324,
         1500, 1, 0,
         {IP6("2001:4800:78ff:1b:be76:4eff:fe06:96b3/64", 64,
              "2001:4800:78ff:1b:be76:4eff:fe06:96b3"),
          IP4("8.12.42.51/24", 24, "8.12.42.51")},
         {GW4("8.12.42.1")}},
        {"net1", "90:b8:d0:bd:4f:9c", "internal", UUID_INT, "virtio", 600,
         1500, 0, 0,
         {IP4("10.210.1.217/24", 24, "10.210.1.217")},
         {{NULL, 0, 0, NULL}}},
    };

    check_file("c7-sdc-nics-mip-ipv6.json", e, 2);
}

/* C.7.1 SDC_NICS_IPV4_IPV6 (= B.4 D.5); note the non-primary nic with
 * gateways: the parser reports them, policy is the consumer's. */
static void test_nics_c7_ipv4_ipv6(void)
{
    const exp_nic_t e[] = {
        {"net0", "90:b8:d0:ae:64:51", "external", UUID_EXT, "virtio", 324,
         1500, 1, 0,
         {IP6("2001::10/64", 64, "2001::10"),
          IP4("8.12.42.51/24", 24, "8.12.42.51"),
          IP6("2001::11/64", 64, "2001::11"),
          IP4("8.12.42.52/32", 32, "8.12.42.52")},
         {GW4("8.12.42.1"), GW6("2001::1", "2001::1"),
          GW6("2001::2", "2001::2")}},
        {"net1", "90:b8:d0:bd:4f:9c", "internal", UUID_INT, "virtio", 600,
         1500, 0, 0,
         {IP4("10.210.1.217/24", 24, "10.210.1.217")},
         {GW4("10.210.1.210")}},
    };

    check_file("c7-sdc-nics-ipv4-ipv6.json", e, 2);
}

static void test_nics_c7_single_gateway(void)
{
    const exp_nic_t e[] = {
        {"net0", "90:b8:d0:d8:82:b4", "external", UUID_EXT, "virtio", 324,
         1500, 1, 0,
         {IP4("8.12.42.26/24", 24, "8.12.42.26")},
         {GW4("8.12.42.1")}},
        {"net1", "90:b8:d0:0a:51:31", "internal", UUID_INT, "virtio", 600,
         1500, 0, 0,
         {IP4("10.210.1.27/24", 24, "10.210.1.27")},
         {{NULL, 0, 0, NULL}}},
    };

    check_file("c7-sdc-nics-single-gateway.json", e, 2);
}

/* C.7.1 SDC_NICS_ADDRCONF (= B.4 D.6). */
static void test_nics_c7_addrconf(void)
{
    const exp_nic_t e[] = {
        {"net0", "e2:7f:c1:50:eb:99", "external", NULL, "virtio", 20, 0, 1, 0,
         {IP4("10.64.1.130/26", 26, "10.64.1.130"), ADDRCONF},
         {GW4("10.64.1.129")}},
    };

    check_file("c7-sdc-nics-addrconf.json", e, 1);
}

static mdata_nic_list_t *parse_text(const char *json)
{
    mdata_nic_list_t *list = NULL;
    mdata_error_t err;
    int rc = mdata_nics_parse(json, strlen(json), &list, &err);

    if (rc != 0)
        fprintf(stderr, "\n%s\n", err.text);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    return list;
}

/* Legacy shapes of older VMs: one address/prefix form for consumers. */
static void test_nics_legacy_only(void)
{
    mdata_nic_list_t *list = parse_text(
        "[{\"interface\":\"net0\",\"mac\":\"0:0:5E:0:1:A\","
        "\"ip\":\"192.168.1.10\",\"netmask\":\"255.255.252.0\","
        "\"gateway\":\"192.168.1.1\"},"
        "{\"interface\":\"net1\",\"mac\":\"00:00:5e:00:01:0b\","
        "\"ip\":\"dhcp\"},"
        "{\"interface\":\"net2\",\"mac\":\"00:00:5e:00:01:0c\","
        "\"ip\":\"10.0.0.1\",\"netmask\":\"0.0.0.0\"},"
        "{\"interface\":\"net3\",\"mac\":\"00:00:5e:00:01:0d\","
        "\"ip\":\"10.0.0.2\",\"netmask\":\"255.255.255.255\","
        "\"gateway\":\"10.0.0.1\",\"gateways\":[]},"
        "{\"interface\":\"net4\",\"mac\":\"00:00:5e:00:01:0e\","
        "\"ip\":\"10.0.0.3\",\"netmask\":\"255.255.255.0\",\"ips\":[],"
        "\"primary\":false,"
        "\"network_uuid\":\"992FC7CE-6AAC-4B74-AED6-7B9D2C6C0BFE\"}]");
    const mdata_nic_t *nic;

    CU_ASSERT_EQUAL_FATAL(mdata_nic_list_count(list), 5);
    nic = mdata_nic_list_at(list, 0);
    TT_ASSERT_STR(mdata_nic_mac_text(nic), "00:00:5e:00:01:0a");
    CU_ASSERT_EQUAL(mdata_nic_ips_are_legacy(nic), 1);
    CU_ASSERT_EQUAL_FATAL(mdata_nic_ip_count(nic), 1);
    TT_ASSERT_IP(mdata_nic_ip_at(nic, 0), V4, "192.168.1.10/22", 22,
                 "192.168.1.10");
    CU_ASSERT_EQUAL_FATAL(mdata_nic_gateway_count(nic), 1);
    TT_ASSERT_IP(mdata_nic_gateway_at(nic, 0), V4, "192.168.1.1", 32,
                 "192.168.1.1");
    /* ip "dhcp" without netmask: the dhcp kind. */
    nic = mdata_nic_list_at(list, 1);
    CU_ASSERT_EQUAL(mdata_nic_ips_are_legacy(nic), 1);
    CU_ASSERT_EQUAL_FATAL(mdata_nic_ip_count(nic), 1);
    TT_ASSERT_IP(mdata_nic_ip_at(nic, 0), MDATA_AF_DHCP, "dhcp", 0, "dhcp");
    CU_ASSERT_EQUAL(mdata_nic_gateway_count(nic), 0);
    /* Extreme netmasks. */
    TT_ASSERT_IP(mdata_nic_ip_at(mdata_nic_list_at(list, 2), 0), V4,
                 "10.0.0.1/0", 0, "10.0.0.1");
    nic = mdata_nic_list_at(list, 3);
    TT_ASSERT_IP(mdata_nic_ip_at(nic, 0), V4, "10.0.0.2/32", 32, "10.0.0.2");
    /* An explicit empty gateways wins over the legacy gateway. */
    CU_ASSERT_EQUAL(mdata_nic_gateway_count(nic), 0);
    /* An explicit empty ips wins over the legacy ip. */
    nic = mdata_nic_list_at(list, 4);
    CU_ASSERT_EQUAL(mdata_nic_ip_count(nic), 0);
    CU_ASSERT_EQUAL(mdata_nic_ips_are_legacy(nic), 0);
    /* "primary": false is accepted and means not primary; a UUID in
     * upper case is kept as written. */
    CU_ASSERT_EQUAL(mdata_nic_is_primary(nic), 0);
    TT_ASSERT_STR(mdata_nic_network_uuid(nic),
                  "992FC7CE-6AAC-4B74-AED6-7B9D2C6C0BFE");
    CU_ASSERT_PTR_NULL(mdata_nic_list_primary(list));
    mdata_nic_list_free(list);
}

/* IPv6-only and addrconf-only nics have no legacy ip at all. */
static void test_nics_ipv6_and_addrconf_only(void)
{
    mdata_nic_list_t *list = parse_text(
        "[{\"interface\":\"net0\",\"mac\":\"02:08:20:aa:bb:cc\","
        "\"ips\":[\"fd00:1:2:3::5/64\",\"addrconf\"],"
        "\"gateways\":[\"fd00:1:2:3::1\"],\"primary\":true},"
        "{\"interface\":\"net1\",\"mac\":\"02:08:20:aa:bb:cd\","
        "\"ips\":[\"addrconf\"]},"
        "{\"interface\":\"net2\",\"mac\":\"02:08:20:aa:bb:ce\"}]");
    const mdata_nic_t *nic = mdata_nic_list_at(list, 0);
    mdata_ip_t probe;

    CU_ASSERT_EQUAL_FATAL(mdata_nic_ip_count(nic), 2);
    TT_ASSERT_IP(mdata_nic_ip_at(nic, 0), V6, "fd00:1:2:3::5/64", 64,
                 "fd00:1:2:3::5");
    TT_ASSERT_IP(mdata_nic_ip_at(nic, 1), MDATA_AF_ADDRCONF, "addrconf", 0,
                 "addrconf");
    TT_ASSERT_IP(mdata_nic_gateway_at(nic, 0), V6, "fd00:1:2:3::1", 128,
                 "fd00:1:2:3::1");
    nic = mdata_nic_list_at(list, 1);
    CU_ASSERT_EQUAL_FATAL(mdata_nic_ip_count(nic), 1);
    CU_ASSERT_EQUAL(mdata_nic_ip_at(nic, 0)->family, MDATA_AF_ADDRCONF);
    /* No address at all is fine: a nic the guest leaves unconfigured. */
    nic = mdata_nic_list_at(list, 2);
    CU_ASSERT_EQUAL(mdata_nic_ip_count(nic), 0);
    CU_ASSERT_EQUAL(mdata_nic_gateway_count(nic), 0);
    CU_ASSERT_PTR_NULL(mdata_nic_tag(nic));
    /* find_address ignores the prefix and the text's spelling. */
    CU_ASSERT_EQUAL(mdata_ip_parse("FD00:1:2:3:0:0:0:5", 18, 0, &probe, NULL),
                    0);
    CU_ASSERT_PTR_EQUAL(mdata_nic_list_find_address(list, &probe),
                        mdata_nic_list_at(list, 0));
    mdata_nic_list_free(list);
}

/* Unknown fields survive as raw JSON; values of any JSON type. */
static void test_nics_unknown_fields_raw(void)
{
    mdata_nic_list_t *list = parse_text(
        "[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"future\":{\"a\": [1, 2.5, null]},"
        "\"flag\":false,\"name\":\"x\\u00e9\\\"y\",\"n\":-7,\"e\":\"\","
        "\"allowed_dhcp_cids\":[\"0x0102\",\"abc\"]}]");
    const mdata_nic_t *nic = mdata_nic_list_at(list, 0);

    TT_ASSERT_STR(mdata_nic_field_json(nic, "future"),
                  "{\"a\":[1,2.5,null]}");
    TT_ASSERT_STR(mdata_nic_field_json(nic, "flag"), "false");
    TT_ASSERT_STR(mdata_nic_field_json(nic, "name"), "\"x\xc3\xa9\\\"y\"");
    TT_ASSERT_STR(mdata_nic_field_json(nic, "n"), "-7");
    TT_ASSERT_STR(mdata_nic_field_json(nic, "e"), "\"\"");
    CU_ASSERT_PTR_NULL(mdata_nic_interface(nic));
    CU_ASSERT_EQUAL_FATAL(mdata_nic_allowed_dhcp_cid_count(nic), 2);
    TT_ASSERT_STR(mdata_nic_allowed_dhcp_cid_at(nic, 0), "0x0102");
    TT_ASSERT_STR(mdata_nic_allowed_dhcp_cid_at(nic, 1), "abc");
    CU_ASSERT_PTR_NULL(mdata_nic_allowed_dhcp_cid_at(nic, 2));
    mdata_nic_list_free(list);
}

static void test_nics_empty_list(void)
{
    mdata_nic_list_t *list = parse_text("[]"), *copy = NULL;

    CU_ASSERT_EQUAL(mdata_nic_list_count(list), 0);
    CU_ASSERT_PTR_NULL(mdata_nic_list_at(list, 0));
    CU_ASSERT_PTR_NULL(mdata_nic_list_primary(list));
    CU_ASSERT_EQUAL_FATAL(mdata_nic_list_dup(list, &copy), 0);
    CU_ASSERT_EQUAL(mdata_nic_list_count(copy), 0);
    mdata_nic_list_free(copy);
    mdata_nic_list_free(list);
    /* Whitespace around the document is JSON. */
    list = parse_text(" \n[ ]\n");
    CU_ASSERT_EQUAL(mdata_nic_list_count(list), 0);
    mdata_nic_list_free(list);
    /* NULL is accepted where documented. */
    mdata_nic_list_free(NULL);
    CU_ASSERT_EQUAL(mdata_nic_list_count(NULL), 0);
    CU_ASSERT_PTR_NULL(mdata_nic_list_at(NULL, 0));
    CU_ASSERT_EQUAL(mdata_nic_list_dup(NULL, &copy), MDATA_EINVAL);
    CU_ASSERT_PTR_NULL(copy);
}

/* Bounds: 32 nics of 20 ips each are fine. */
static void test_nics_at_the_bounds(void)
{
    char *doc = malloc(64 * 1024), *p = doc;
    mdata_nic_list_t *list;
    int i, k;

    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    p += sprintf(p, "[");
    for (i = 0; i < MDATA_NICS_MAX; i++) {
        p += sprintf(p, "%s{\"interface\":\"net%d\",\"mac\":\"02:00:00:00:00:%02x\","
                        "\"ips\":[",
                     i ? "," : "", i, i);
        for (k = 0; k < MDATA_NIC_IPS_MAX; k++)
            p += sprintf(p, "%s\"10.%d.%d.1/24\"", k ? "," : "", i, k);
        p += sprintf(p, "]}");
    }
    sprintf(p, "]");
    list = parse_text(doc);
    CU_ASSERT_EQUAL(mdata_nic_list_count(list), MDATA_NICS_MAX);
    CU_ASSERT_EQUAL(mdata_nic_ip_count(mdata_nic_list_at(list, 31)),
                    MDATA_NIC_IPS_MAX);
    TT_ASSERT_IP(mdata_nic_ip_at(mdata_nic_list_at(list, 31), 19), V4,
                 "10.31.19.1/24", 24, "10.31.19.1");
    TT_ASSERT_STR(mdata_nic_interface(mdata_nic_list_at(list, 31)), "net31");
    mdata_nic_list_free(list);
    free(doc);
}

CU_TestInfo nics_tests[] = {
    {"test_nics_d1_os_zone", test_nics_d1_os_zone},
    {"test_nics_d2_dual_stack_addrconf", test_nics_d2_dual_stack_addrconf},
    {"test_nics_d7_maximal_legacy", test_nics_d7_maximal_legacy},
    {"test_nics_d7_kvm", test_nics_d7_kvm},
    {"test_nics_c7_sdc_nics", test_nics_c7_sdc_nics},
    {"test_nics_c7_alt", test_nics_c7_alt},
    {"test_nics_c7_dhcp", test_nics_c7_dhcp},
    {"test_nics_c7_multiple_ips", test_nics_c7_multiple_ips},
    {"test_nics_c7_multiple_ips_ipv6", test_nics_c7_multiple_ips_ipv6},
    {"test_nics_c7_ipv4_ipv6", test_nics_c7_ipv4_ipv6},
    {"test_nics_c7_single_gateway", test_nics_c7_single_gateway},
    {"test_nics_c7_addrconf", test_nics_c7_addrconf},
    {"test_nics_legacy_only", test_nics_legacy_only},
    {"test_nics_ipv6_and_addrconf_only", test_nics_ipv6_and_addrconf_only},
    {"test_nics_unknown_fields_raw", test_nics_unknown_fields_raw},
    {"test_nics_empty_list", test_nics_empty_list},
    {"test_nics_at_the_bounds", test_nics_at_the_bounds},
    CU_TEST_INFO_NULL,
};
