package org.edufed.kernel.api;

import java.util.Locale;

/** The level of a node in the federation tree. */
public enum Level {
    PROVINCE("省级", "province"),
    COUNTY("区县级", "county"),
    SCHOOL("学校", "school");

    private final String zh;
    private final String en;

    Level(String zh, String en) {
        this.zh = zh;
        this.en = en;
    }

    /** The lower-case name used in configuration and over the API. */
    public String id() {
        return en;
    }

    /** A display name in the given locale (zh-CN unless English is asked for). */
    public String displayName(Locale locale) {
        return locale != null && "en".equals(locale.getLanguage()) ? en : zh;
    }

    /** The level of this level's children (a county's are schools; a school has none, itself is returned). */
    public Level below() {
        return this == PROVINCE ? COUNTY : SCHOOL;
    }

    /** The level of this level's parent (a province has none, itself is returned). */
    public Level above() {
        return this == SCHOOL ? COUNTY : PROVINCE;
    }

    /** Parses a configured level, case-insensitively; {@code null} when it names no level. */
    public static Level parse(String value) {
        if (value == null) {
            return null;
        }
        for (Level l : values()) {
            if (l.en.equalsIgnoreCase(value.trim())) {
                return l;
            }
        }
        return null;
    }
}
