package org.edufed.kernel.core.internal.node;

import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.edufed.kernel.api.Level;

/**
 * The validated content of {@code etc/org.edufed.node.cfg}.
 *
 * <ul>
 *   <li>{@code level}: province, county or school
 *   <li>{@code code}: six-digit GB/T 2260 code for province ({@code xx0000}) and county / prefecture nodes,
 *       the ten-digit 学校标识码 for schools
 *   <li>{@code name}: display name
 *   <li>{@code parent.url}: base URL of the parent node (not for a province)
 *   <li>{@code parent.code}: the parent's code, when known; a county's code must lie inside it
 *   <li>{@code key.algorithm}: {@code sm2} (default) or {@code ecdsa}
 * </ul>
 */
public record NodeSettings(
        Level level, String code, String name, String parentUrl, String parentCode, KeyAlgorithm keyAlgorithm) {

    /** GB/T 2260 province-level divisions (the first two digits of every division code). */
    static final Set<String> PROVINCES = Set.of(
            "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43",
            "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82");

    private static final Pattern SIX_DIGITS = Pattern.compile("\\d{6}");
    private static final Pattern TEN_DIGITS = Pattern.compile("\\d{10}");
    private static final Pattern URL = Pattern.compile("https?://[^\\s/?#]+(:\\d{1,5})?(/[^\\s]*)?");

    /**
     * Validates a configuration as delivered by Configuration Admin.
     *
     * @throws NodeConfigException naming the first wrong key
     */
    public static NodeSettings from(Map<String, ?> props) throws NodeConfigException {
        String levelValue = text(props, "level");
        if (levelValue == null) {
            throw new NodeConfigException("level", null, "required: province, county or school");
        }
        Level level = Level.parse(levelValue);
        if (level == null) {
            throw new NodeConfigException("level", levelValue, "must be province, county or school");
        }
        String name = text(props, "name");
        if (name == null) {
            throw new NodeConfigException("name", null, "required: the node's display name");
        }
        if (name.length() > 100) {
            throw new NodeConfigException("name", name.substring(0, 20) + "…", "longer than 100 characters");
        }
        String parentCode = text(props, "parent.code");
        String code = text(props, "code");
        validateCode(level, code, parentCode);
        String parentUrl = text(props, "parent.url");
        if (parentUrl != null) {
            if (level == Level.PROVINCE) {
                throw new NodeConfigException("parent.url", parentUrl, "a province node has no parent");
            }
            if (!URL.matcher(parentUrl).matches()) {
                throw new NodeConfigException("parent.url", parentUrl, "must be an http:// or https:// URL");
            }
            parentUrl = parentUrl.endsWith("/") ? parentUrl.substring(0, parentUrl.length() - 1) : parentUrl;
        }
        String alg = text(props, "key.algorithm");
        KeyAlgorithm keyAlgorithm = alg == null ? KeyAlgorithm.SM2 : KeyAlgorithm.parse(alg);
        if (keyAlgorithm == null) {
            throw new NodeConfigException("key.algorithm", alg, "must be sm2 or ecdsa");
        }
        return new NodeSettings(level, code, name, parentUrl, parentCode, keyAlgorithm);
    }

    private static void validateCode(Level level, String code, String parentCode) throws NodeConfigException {
        if (code == null) {
            throw new NodeConfigException("code", null, "required: " + expected(level));
        }
        if (level == Level.SCHOOL) {
            if (!TEN_DIGITS.matcher(code).matches()) {
                throw new NodeConfigException("code", code, "must be " + expected(level));
            }
            if (parentCode != null && !SIX_DIGITS.matcher(parentCode).matches()) {
                throw new NodeConfigException("parent.code", parentCode, "must be a six-digit GB/T 2260 code");
            }
            return;
        }
        if (!SIX_DIGITS.matcher(code).matches()) {
            throw new NodeConfigException("code", code, "must be " + expected(level));
        }
        if (!PROVINCES.contains(code.substring(0, 2))) {
            throw new NodeConfigException("code", code, "no GB/T 2260 province starts with " + code.substring(0, 2));
        }
        if (level == Level.PROVINCE) {
            if (!code.endsWith("0000")) {
                throw new NodeConfigException("code", code, "a province code ends in 0000 (e.g. 510000)");
            }
            if (parentCode != null) {
                throw new NodeConfigException("parent.code", parentCode, "a province node has no parent");
            }
            return;
        }
        if (code.endsWith("0000")) {
            throw new NodeConfigException(
                    "code", code, "ends in 0000, which is a province; a county or prefecture code does not");
        }
        if (parentCode != null) {
            if (!SIX_DIGITS.matcher(parentCode).matches() || !PROVINCES.contains(parentCode.substring(0, 2))) {
                throw new NodeConfigException("parent.code", parentCode, "must be a six-digit GB/T 2260 code");
            }
            if (!code.equals(parentCode) && !code.startsWith(divisionPrefix(parentCode))) {
                throw new NodeConfigException("code", code, "does not lie inside the parent division " + parentCode);
            }
            if (code.equals(parentCode)) {
                throw new NodeConfigException("code", code, "is the same as the parent's code");
            }
        }
    }

    /** The digits that every code inside a division starts with: 2 for xx0000, 4 for xxxx00, 6 otherwise. */
    static String divisionPrefix(String divisionCode) {
        if (divisionCode.endsWith("0000")) {
            return divisionCode.substring(0, 2);
        }
        if (divisionCode.endsWith("00")) {
            return divisionCode.substring(0, 4);
        }
        return divisionCode;
    }

    private static String expected(Level level) {
        return switch (level) {
            case PROVINCE -> "a six-digit GB/T 2260 province code ending in 0000 (e.g. 510000)";
            case COUNTY -> "a six-digit GB/T 2260 county or prefecture code (e.g. 510104)";
            case SCHOOL -> "the ten-digit school code 学校标识码 (e.g. 2151010001)";
        };
    }

    private static String text(Map<String, ?> props, String key) {
        Object v = props.get(key);
        if (v == null) {
            return null;
        }
        String s = v.toString().trim();
        return s.isEmpty() ? null : s;
    }
}
