/* mdata_ip_parse / mdata_ip_format / mdata_ip_equal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "testutil.h"

#define OPT MDATA_IP_PREFIX_OPTIONAL
#define REQ MDATA_IP_PREFIX_REQUIRED
#define KW MDATA_IP_KEYWORDS

/* Accepted texts: flags, family, prefix, canonical form with prefix. */
static const struct {
    const char *text;
    unsigned flags;
    int family;
    unsigned prefix;
    const char *canon;
} good[] = {
    {"10.0.0.5", 0, MDATA_AF_INET, 32, "10.0.0.5/32"},
    {"0.0.0.0", 0, MDATA_AF_INET, 32, "0.0.0.0/32"},
    {"255.255.255.255", 0, MDATA_AF_INET, 32, "255.255.255.255/32"},
    {"10.0.0.5/24", OPT, MDATA_AF_INET, 24, "10.0.0.5/24"},
    {"10.0.0.5/24", REQ, MDATA_AF_INET, 24, "10.0.0.5/24"},
    {"0.0.0.0/0", REQ, MDATA_AF_INET, 0, "0.0.0.0/0"},
    {"172.22.2.0/24", OPT, MDATA_AF_INET, 24, "172.22.2.0/24"},
    {"8.12.42.52/32", REQ, MDATA_AF_INET, 32, "8.12.42.52/32"},
    {"2001::10/64", REQ, MDATA_AF_INET6, 64, "2001::10/64"},
    {"2001:4800:78ff:1b:be76:4eff:fe06:96b3/64", REQ, MDATA_AF_INET6, 64,
     "2001:4800:78ff:1b:be76:4eff:fe06:96b3/64"},
    {"2001:4860:4860::8888", 0, MDATA_AF_INET6, 128, "2001:4860:4860::8888/128"},
    {"::", 0, MDATA_AF_INET6, 128, "::/128"},
    {"::/0", OPT, MDATA_AF_INET6, 0, "::/0"},
    {"::1", 0, MDATA_AF_INET6, 128, "::1/128"},
    {"1::", 0, MDATA_AF_INET6, 128, "1::/128"},
    {"FE80::AbCd", 0, MDATA_AF_INET6, 128, "fe80::abcd/128"},
    {"2001:0db8:0000:0000:0000:0000:0000:0001", 0, MDATA_AF_INET6, 128,
     "2001:db8::1/128"},
    {"2001:db8:0:0:1:0:0:1", 0, MDATA_AF_INET6, 128, "2001:db8::1:0:0:1/128"},
    {"2001:0:0:1:0:0:0:1", 0, MDATA_AF_INET6, 128, "2001:0:0:1::1/128"},
    {"1:0:2:3:4:5:6:7", 0, MDATA_AF_INET6, 128, "1:0:2:3:4:5:6:7/128"},
    {"1:2:3:4:5:6:7::", 0, MDATA_AF_INET6, 128, "1:2:3:4:5:6:7:0/128"},
    {"::ffff:10.1.2.3", 0, MDATA_AF_INET6, 128, "::ffff:10.1.2.3/128"},
    {"64:ff9b::192.0.2.33/96", OPT, MDATA_AF_INET6, 96,
     "64:ff9b::c000:221/96"},
    {"1:2:3:4:5:6:1.2.3.4", 0, MDATA_AF_INET6, 128, "1:2:3:4:5:6:102:304/128"},
    {"dhcp", KW, MDATA_AF_DHCP, 0, "dhcp"},
    {"addrconf", KW | REQ, MDATA_AF_ADDRCONF, 0, "addrconf"},
};

static void test_ip_parse_good(void)
{
    size_t i;

    for (i = 0; i < (sizeof(good) / sizeof(good[0])); i++) {
        mdata_ip_t ip, again;
        mdata_error_t err;
        char buf[MDATA_IP_TEXT_MAX];
        int rc = mdata_ip_parse(good[i].text, strlen(good[i].text),
                                good[i].flags, &ip, &err);

        if (rc != 0)
            fprintf(stderr, "\n%s: %s\n", good[i].text, err.text);
        CU_ASSERT_EQUAL_FATAL(rc, 0);
        CU_ASSERT_EQUAL(ip.family, good[i].family);
        CU_ASSERT_EQUAL(ip.prefix, good[i].prefix);
        TT_ASSERT_STR(ip.text, good[i].text);
        CU_ASSERT_EQUAL((size_t)mdata_ip_format(&ip, 1, buf, sizeof(buf)),
                        strlen(good[i].canon));
        TT_ASSERT_STR(buf, good[i].canon);
        /* The canonical text parses back to the same value. */
        CU_ASSERT_EQUAL(mdata_ip_parse(buf, strlen(buf), OPT | KW, &again,
                                       NULL),
                        0);
        CU_ASSERT(mdata_ip_equal(&ip, &again));
    }
}

static void test_ip_parse_bytes(void)
{
    static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                   0,    0,    0,    0,    0, 0, 0, 1};
    static const uint8_t v4[16] = {172, 19, 1, 2};
    static const uint8_t zero[16] = {0};
    mdata_ip_t ip;

    CU_ASSERT_EQUAL(mdata_ip_parse("2001:db8::1", 11, 0, &ip, NULL), 0);
    CU_ASSERT(memcmp(ip.addr, v6, 16) == 0);
    CU_ASSERT_EQUAL(mdata_ip_parse("172.19.1.2/24", 13, REQ, &ip, NULL), 0);
    CU_ASSERT(memcmp(ip.addr, v4, 16) == 0);
    CU_ASSERT_EQUAL(mdata_ip_parse("dhcp", 4, KW, &ip, NULL), 0);
    CU_ASSERT(memcmp(ip.addr, zero, 16) == 0);
    /* The length is honoured: no NUL needed, trailing bytes ignored. */
    CU_ASSERT_EQUAL(mdata_ip_parse("10.0.0.1XYZ", 8, 0, &ip, NULL), 0);
    TT_ASSERT_STR(ip.text, "10.0.0.1");
}

/* Rejected texts with the flags and the message. */
static const struct {
    const char *text;
    unsigned flags;
    const char *message;
} bad[] = {
    {"", OPT, "\"\" is not an address"},
    {"10.0.0/24", REQ, "\"10.0.0/24\" is not an address"},
    {"10.0.0.256", 0, "\"10.0.0.256\" is not an address"},
    {"10.0.0.01", 0, "\"10.0.0.01\" is not an address"},
    {"10.0.0.1.", 0, "\"10.0.0.1.\" is not an address"},
    {"10..0.1", 0, "\"10..0.1\" is not an address"},
    {" 10.0.0.1", 0, "\" 10.0.0.1\" is not an address"},
    {"10.0.0.1 ", 0, "\"10.0.0.1 \" is not an address"},
    {"+1.0.0.1", 0, "\"+1.0.0.1\" is not an address"},
    {"10.0.0.1", REQ, "\"10.0.0.1\" has no prefix length"},
    {"10.0.0.1/24", 0, "\"10.0.0.1/24\" must be an address without a prefix "
                       "length"},
    {"10.0.0.1/33", OPT, "\"10.0.0.1/33\" has a prefix length above 32"},
    {"2001::1/129", OPT, "\"2001::1/129\" has a prefix length above 128"},
    {"10.0.0.1/", OPT, "\"10.0.0.1/\" has a malformed prefix length"},
    {"10.0.0.1/024", OPT, "\"10.0.0.1/024\" has a malformed prefix length"},
    {"10.0.0.1/2/4", OPT, "\"10.0.0.1/2/4\" has a malformed prefix length"},
    {":", 0, "\":\" is not an address"},
    {":::", 0, "\":::\" is not an address"},
    {"1:2", 0, "\"1:2\" is not an address"},
    {"1::2::3", 0, "\"1::2::3\" is not an address"},
    {"1:2:3:4:5:6:7:8:9", 0, "\"1:2:3:4:5:6:7:8:9\" is not an address"},
    {"1:2:3:4:5:6:7:8::", 0, "\"1:2:3:4:5:6:7:8::\" is not an address"},
    {"12345::", 0, "\"12345::\" is not an address"},
    {"1:", 0, "\"1:\" is not an address"},
    {":1", 0, "\":1\" is not an address"},
    {"g::1", 0, "\"g::1\" is not an address"},
    {"fe80::1%eth0", 0, "\"fe80::1%eth0\" is not an address"},
    {"1.2.3.4::", 0, "\"1.2.3.4::\" is not an address"},
    {"::1.2.3.4:5", 0, "\"::1.2.3.4:5\" is not an address"},
    {"1:2:3:4:5:6:7:1.2.3.4", 0,
     "\"1:2:3:4:5:6:7:1.2.3.4\" is not an address"},
    {"dhcp", 0, "\"dhcp\" is not an address"},
    {"DHCP", KW, "\"DHCP\" is not an address"},
    {"a\"b\\c\x01", 0, "\"a\\\"b\\\\c\\x01\" is not an address"},
    {"0123456789012345678901234567890123456789012345678901234567890123", 0,
     "\"012345678901234567890123456789012345678901234567\"... is too long "
     "for an address"},
};

static void test_ip_parse_bad(void)
{
    size_t i;

    for (i = 0; i < (sizeof(bad) / sizeof(bad[0])); i++) {
        mdata_ip_t ip;
        mdata_error_t err;

        memset(&ip, 0x5a, sizeof(ip));
        CU_ASSERT_EQUAL(mdata_ip_parse(bad[i].text, strlen(bad[i].text),
                                       bad[i].flags, &ip, &err),
                        MDATA_EINVAL);
        CU_ASSERT_EQUAL(err.code, MDATA_EINVAL);
        TT_ASSERT_STR(err.text, bad[i].message);
        CU_ASSERT_EQUAL(ip.family, 0x5a5a5a5a); /* untouched */
    }
    CU_ASSERT_EQUAL(mdata_ip_parse("1.2.3.4", 7, 0, NULL, NULL), MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_ip_parse(NULL, 3, 0, NULL, NULL), MDATA_EINVAL);
}

static void test_ip_format_truncates_like_snprintf(void)
{
    mdata_ip_t ip;
    char buf[8];

    CU_ASSERT_EQUAL(mdata_ip_parse("192.168.100.200/24", 18, OPT, &ip, NULL),
                    0);
    CU_ASSERT_EQUAL(mdata_ip_format(&ip, 1, buf, sizeof(buf)), 18);
    TT_ASSERT_STR(buf, "192.168");
    CU_ASSERT_EQUAL(mdata_ip_format(&ip, 0, NULL, 0), 15);
    ip.family = 99;
    CU_ASSERT_EQUAL(mdata_ip_format(&ip, 0, buf, sizeof(buf)), MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_ip_format(NULL, 0, buf, sizeof(buf)), MDATA_EINVAL);
}

static void test_ip_equal(void)
{
    mdata_ip_t a, b;

    CU_ASSERT_EQUAL(mdata_ip_parse("2001:db8::1/64", 14, OPT, &a, NULL), 0);
    CU_ASSERT_EQUAL(
        mdata_ip_parse("2001:DB8:0:0:0:0:0:1/64", 23, OPT, &b, NULL), 0);
    CU_ASSERT(mdata_ip_equal(&a, &b));
    CU_ASSERT_EQUAL(mdata_ip_parse("2001:db8::1/65", 14, OPT, &b, NULL), 0);
    CU_ASSERT(!mdata_ip_equal(&a, &b));
    CU_ASSERT(!mdata_ip_equal(&a, NULL));
    CU_ASSERT(mdata_ip_equal(NULL, NULL));
}

CU_TestInfo ip_tests[] = {
    {"test_ip_parse_good", test_ip_parse_good},
    {"test_ip_parse_bytes", test_ip_parse_bytes},
    {"test_ip_parse_bad", test_ip_parse_bad},
    {"test_ip_format_truncates_like_snprintf",
     test_ip_format_truncates_like_snprintf},
    {"test_ip_equal", test_ip_equal},
    CU_TEST_INFO_NULL,
};
