/*
 * libFuzzer target for the typed parsers: sdc:nics, sdc:routes,
 * sdc:resolvers and mdata_ip_parse. Every accepted document is walked
 * through every getter and through _dup, and must compare equal to its
 * copy; every accepted address must survive format -> parse unchanged.
 * A rejected input must leave *out NULL and a non-empty message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond))                                                          \
            abort();                                                          \
    } while (0)

static void check_ip(const mdata_ip_t *ip)
{
    char text[MDATA_IP_TEXT_MAX];
    mdata_ip_t again;
    int n;

    CHECK(ip != NULL);
    CHECK(memchr(ip->text, '\0', sizeof(ip->text)) != NULL);
    n = mdata_ip_format(ip, 1, text, sizeof(text));
    CHECK(n > 0 && (size_t)n < sizeof(text));
    CHECK(mdata_ip_parse(text, (size_t)n,
                         MDATA_IP_PREFIX_OPTIONAL | MDATA_IP_KEYWORDS, &again,
                         NULL) == 0);
    if (ip->family == MDATA_AF_INET || ip->family == MDATA_AF_INET6) {
        CHECK(mdata_ip_equal(ip, &again));
        CHECK(ip->prefix <= (ip->family == MDATA_AF_INET ? 32u : 128u));
    } else {
        CHECK(ip->family == MDATA_AF_DHCP || ip->family == MDATA_AF_ADDRCONF);
        CHECK(again.family == ip->family);
    }
}

static void walk_nics(const mdata_nic_list_t *list, const mdata_nic_list_t *copy)
{
    size_t i, k;

    CHECK(mdata_nic_list_count(list) <= MDATA_NICS_MAX);
    CHECK(mdata_nic_list_count(list) == mdata_nic_list_count(copy));
    CHECK(mdata_nic_list_at(list, mdata_nic_list_count(list)) == NULL);
    for (i = 0; i < mdata_nic_list_count(list); i++) {
        const mdata_nic_t *a = mdata_nic_list_at(list, i);
        const mdata_nic_t *b = mdata_nic_list_at(copy, i);
        uint8_t ma[6], mb[6];

        mdata_nic_mac(a, ma);
        mdata_nic_mac(b, mb);
        CHECK(memcmp(ma, mb, 6) == 0);
        CHECK(strcmp(mdata_nic_mac_text(a), mdata_nic_mac_text(b)) == 0);
        CHECK(mdata_nic_list_find_mac(list, ma) != NULL);
        CHECK((mdata_nic_interface(a) == NULL) ==
              (mdata_nic_interface(b) == NULL));
        if (mdata_nic_interface(a) != NULL) {
            CHECK(strcmp(mdata_nic_interface(a), mdata_nic_interface(b)) == 0);
            CHECK(mdata_nic_list_find_interface(list, mdata_nic_interface(a)) !=
                  NULL);
        }
        if (mdata_nic_tag(a) != NULL)
            CHECK(strcmp(mdata_nic_tag(a), mdata_nic_tag(b)) == 0);
        if (mdata_nic_model(a) != NULL)
            CHECK(strcmp(mdata_nic_model(a), mdata_nic_model(b)) == 0);
        if (mdata_nic_network_uuid(a) != NULL)
            CHECK(strlen(mdata_nic_network_uuid(a)) == 36);
        CHECK(mdata_nic_vlan_id(a) <= 4095);
        CHECK(mdata_nic_mtu(a) == 0 || mdata_nic_mtu(a) >= 68);
        CHECK(mdata_nic_vrrp_vrid(a) >= -1 && mdata_nic_vrrp_vrid(a) <= 255);
        CHECK(mdata_nic_flags(a) == mdata_nic_flags(b));
        CHECK(mdata_nic_is_primary(a) == mdata_nic_is_primary(b));
        (void)mdata_nic_ips_are_legacy(a);
        CHECK(mdata_nic_ip_count(a) <= MDATA_NIC_IPS_MAX);
        for (k = 0; k < mdata_nic_ip_count(a); k++) {
            check_ip(mdata_nic_ip_at(a, k));
            CHECK(mdata_ip_equal(mdata_nic_ip_at(a, k), mdata_nic_ip_at(b, k)));
            if (mdata_nic_ip_at(a, k)->family == MDATA_AF_INET ||
                mdata_nic_ip_at(a, k)->family == MDATA_AF_INET6)
                CHECK(mdata_nic_list_find_address(
                          list, mdata_nic_ip_at(a, k)) != NULL);
        }
        CHECK(mdata_nic_ip_at(a, k) == NULL);
        CHECK(mdata_nic_gateway_count(a) <= MDATA_NIC_GATEWAYS_MAX);
        for (k = 0; k < mdata_nic_gateway_count(a); k++)
            check_ip(mdata_nic_gateway_at(a, k));
        CHECK(mdata_nic_gateway_at(a, k) == NULL);
        for (k = 0; k < mdata_nic_allowed_ip_count(a); k++)
            check_ip(mdata_nic_allowed_ip_at(a, k));
        CHECK(mdata_nic_allowed_ip_at(a, k) == NULL);
        for (k = 0; k < mdata_nic_allowed_dhcp_cid_count(a); k++)
            CHECK(strcmp(mdata_nic_allowed_dhcp_cid_at(a, k),
                         mdata_nic_allowed_dhcp_cid_at(b, k)) == 0);
        CHECK(mdata_nic_allowed_dhcp_cid_at(a, k) == NULL);
        for (k = 0; k < mdata_nic_blocked_port_count(a); k++)
            CHECK(mdata_nic_blocked_port_at(a, k) ==
                  mdata_nic_blocked_port_at(b, k));
        if (mdata_nic_vrrp_primary_ip(a) != NULL)
            check_ip(mdata_nic_vrrp_primary_ip(a));
        CHECK(mdata_nic_field_count(a) == mdata_nic_field_count(b));
        for (k = 0; k < mdata_nic_field_count(a); k++) {
            const char *name = mdata_nic_field_name_at(a, k);
            const char *json = mdata_nic_field_json(a, name);

            CHECK(name != NULL && json != NULL);
            CHECK(strcmp(json, mdata_nic_field_json(b, name)) == 0);
        }
        CHECK(mdata_nic_field_name_at(a, k) == NULL);
    }
    if (mdata_nic_list_primary(list) != NULL)
        CHECK(mdata_nic_is_primary(mdata_nic_list_primary(list)));
}

static void fuzz_nics(const uint8_t *data, size_t size)
{
    mdata_nic_list_t *list = (mdata_nic_list_t *)(uintptr_t)1, *copy = NULL;
    mdata_error_t err;

    memset(&err, 0, sizeof(err));
    if (mdata_nics_parse(data, size, &list, &err) != 0) {
        CHECK(list == NULL && err.code < 0 && err.text[0] != '\0');
        return;
    }
    CHECK(mdata_nic_list_dup(list, &copy) == 0);
    walk_nics(list, copy);
    mdata_nic_list_free(list);
    mdata_nic_list_free(copy);
}

static void fuzz_routes(const uint8_t *data, size_t size)
{
    mdata_route_list_t *list = (mdata_route_list_t *)(uintptr_t)1, *copy = NULL;
    mdata_error_t err;
    size_t i;

    memset(&err, 0, sizeof(err));
    if (mdata_routes_parse(data, size, &list, &err) != 0) {
        CHECK(list == NULL && err.code < 0 && err.text[0] != '\0');
        return;
    }
    CHECK(mdata_route_list_dup(list, &copy) == 0);
    CHECK(mdata_route_list_count(list) <= MDATA_ROUTES_MAX);
    for (i = 0; i < mdata_route_list_count(list); i++) {
        const mdata_route_t *a = mdata_route_list_at(list, i);
        const mdata_route_t *b = mdata_route_list_at(copy, i);

        check_ip(mdata_route_dst(a));
        check_ip(mdata_route_gateway(a));
        CHECK(mdata_ip_equal(mdata_route_dst(a), mdata_route_dst(b)));
        CHECK(mdata_route_is_linklocal(a) == mdata_route_is_linklocal(b));
    }
    CHECK(mdata_route_list_at(list, i) == NULL);
    mdata_route_list_free(list);
    mdata_route_list_free(copy);
}

static void fuzz_resolvers(const uint8_t *data, size_t size)
{
    mdata_resolver_list_t *list = (mdata_resolver_list_t *)(uintptr_t)1, *copy = NULL;
    mdata_error_t err;
    size_t i;

    memset(&err, 0, sizeof(err));
    if (mdata_resolvers_parse(data, size, &list, &err) != 0) {
        CHECK(list == NULL && err.code < 0 && err.text[0] != '\0');
        return;
    }
    CHECK(mdata_resolver_list_dup(list, &copy) == 0);
    CHECK(mdata_resolver_list_count(list) <= MDATA_RESOLVERS_MAX);
    for (i = 0; i < mdata_resolver_list_count(list); i++) {
        const mdata_ip_t *ip = mdata_resolver_list_at(list, i);

        check_ip(ip);
        CHECK(ip->prefix == (ip->family == MDATA_AF_INET ? 32u : 128u));
        CHECK(mdata_ip_equal(ip, mdata_resolver_list_at(copy, i)));
    }
    mdata_resolver_list_free(list);
    mdata_resolver_list_free(copy);
}

static void fuzz_ip(const uint8_t *data, size_t size)
{
    static const unsigned flags[] = {
        0, MDATA_IP_PREFIX_OPTIONAL, MDATA_IP_PREFIX_REQUIRED,
        MDATA_IP_PREFIX_OPTIONAL | MDATA_IP_KEYWORDS};
    size_t f;

    for (f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
        mdata_ip_t ip;
        mdata_error_t err;

        if (mdata_ip_parse((const char *)data, size, flags[f], &ip, &err) ==
            0) {
            check_ip(&ip);
            CHECK(strlen(ip.text) == size && memcmp(ip.text, data, size) == 0);
        } else {
            CHECK(err.code == MDATA_EINVAL);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Every parser sees every input: the corpus is shared, and a nic
     * document is a fine malformed routes document. */
    fuzz_nics(data, size);
    fuzz_routes(data, size);
    fuzz_resolvers(data, size);
    if (size < 2 * MDATA_IP_TEXT_MAX)
        fuzz_ip(data, size);
    return 0;
}
