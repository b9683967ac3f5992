package org.edufed.plugin.exam.internal;

import com.fasterxml.jackson.databind.JsonNode;

/** The review of a registration, school → county → province, and the status it gives each version. */
final class Review {

    static final String APPROVE = "approve";
    static final String RETURN = "return";

    private Review() {}

    /** Where a registration stands, as every level shows it. */
    enum Status {
        SUBMITTED("submitted"),
        RETURNED("returned"),
        COUNTY_APPROVED("county-approved"),
        APPROVED("approved"),
        WITHDRAWN("withdrawn");

        final String id;

        Status(String id) {
            this.id = id;
        }

        static Status parse(String id) {
            for (Status s : values()) {
                if (s.id.equals(id)) {
                    return s;
                }
            }
            return null;
        }
    }

    /** A level's decision on one version of a registration. */
    record Decision(long version, String decision, String reason, String by) {

        String toJson() {
            return Rules.JSON
                    .createObjectNode()
                    .put("version", version)
                    .put("decision", decision)
                    .put("reason", reason == null ? "" : reason)
                    .put("by", by)
                    .toString();
        }

        static Decision parse(String json) {
            try {
                JsonNode o = Rules.JSON.readTree(json);
                return new Decision(
                        o.path("version").asLong(),
                        o.path("decision").asText(),
                        o.path("reason").asText(""),
                        o.path("by").asText(""));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                return null;
            }
        }
    }

    /** The status of {@code version}: a decision counts only for the version it was made on. */
    static Status status(long version, Decision county, Decision province) {
        boolean countyOn = county != null && county.version() == version;
        boolean provinceOn = province != null && province.version() == version;
        if (provinceOn) {
            return APPROVE.equals(province.decision()) ? Status.APPROVED : Status.RETURNED;
        }
        if (countyOn) {
            return APPROVE.equals(county.decision()) ? Status.COUNTY_APPROVED : Status.RETURNED;
        }
        return Status.SUBMITTED;
    }

    /** The decision behind a {@link Status#RETURNED returned} status (the province's if it decided last). */
    static Decision returnedBy(long version, Decision county, Decision province) {
        if (province != null && province.version() == version && RETURN.equals(province.decision())) {
            return province;
        }
        return county != null && county.version() == version && RETURN.equals(county.decision()) ? county : null;
    }

    /** The inheritable item key of a level's decision on a registration ({@code <origin>.<id>.<level>}). */
    static String itemKey(String globalId, String level) {
        return globalId.replace(':', '.') + "." + level;
    }
}
