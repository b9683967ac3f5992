package org.edufed.plugin.exam.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CsvImportTest {

    final List<Rules.Registration> stored = new ArrayList<>();

    /** Stores like the node does: a second registration of the same ID number is a duplicate. */
    String store(Rules.Registration r) {
        if (stored.stream().anyMatch(s -> s.idNumber().equals(r.idNumber()))) {
            throw new Rules.Invalid("idNumber", "exam.duplicate");
        }
        stored.add(r);
        return "id" + stored.size();
    }

    CsvImport.Report run(String csv) throws Exception {
        Rules.ExamYear y = Rules.year("2027", RulesTest.YEAR_JSON);
        return CsvImport.run(
                csv.getBytes(StandardCharsets.UTF_8),
                "2027",
                this::store,
                r -> Rules.check(r, y, RulesTest.plans(), RulesTest.OPEN));
    }

    @Test
    void goodRowsAreKeptAndEveryBrokenRowIsReportedWithItsLine() throws Exception {
        String a = RulesTest.id("510104", "20111203", "123");
        String b = RulesTest.id("510104", "20120105", "224");
        String csv = "\uFEFF姓名,身份证号,监护人电话,志愿\n"
                + "李雷," + a + ",13800138000,1:5101040001|5101040002;2:5101040002\n"
                + "Li Lei,110105194912310021,138,1:5101040001\n"
                + "韩梅梅," + b + ",13900139000,1:5101040002\n"
                + "韩梅梅," + b + ",13900139000,1:5101040002\n"
                + "王五,only,three\n"
                + "赵六," + RulesTest.id("510104", "20120301", "335") + ",13700137000,1=5101040001\n";
        CsvImport.Report report = run(csv);
        assertEquals(6, report.rows());
        assertEquals(2, report.created());
        assertEquals(
                List.of(3L, 5L, 6L, 7L),
                report.refused().stream().map(CsvImport.RowError::line).toList());
        assertEquals(
                Set.of("exam.badStudentName", "exam.badIdNumber", "exam.badPhone"),
                RulesTest.keys(report.refused().get(0).problems()));
        assertEquals("exam.duplicate", report.refused().get(1).problems().get(0).key());
        assertEquals(
                "exam.csvColumns", report.refused().get(2).problems().get(0).key());
        assertEquals(
                "exam.csvPreferences", report.refused().get(3).problems().get(0).key());
        assertEquals(
                Map.of("1", List.of("5101040001", "5101040002"), "2", List.of("5101040002")),
                stored.get(0).preferences());
    }

    /** Excel on a Chinese Windows saves "CSV" in GBK: read the same as UTF-8; bytes of neither are refused. */
    @Test
    void aFileSavedByExcelInGbkReadsLikeUtf8() throws Exception {
        String csv = "姓名,身份证号,监护人电话,志愿\n" + "韩梅梅," + RulesTest.id("510104", "20111203", "123")
                + ",13800138000,1:5101040001\n";
        byte[] gbk = csv.getBytes(java.nio.charset.Charset.forName("GBK"));
        assertEquals(csv, CsvImport.text(gbk));
        assertEquals(csv, CsvImport.text(("\uFEFF" + csv).getBytes(StandardCharsets.UTF_8)));
        Rules.ExamYear y = Rules.year("2027", RulesTest.YEAR_JSON);
        CsvImport.Report report =
                CsvImport.run(gbk, "2027", this::store, r -> Rules.check(r, y, RulesTest.plans(), RulesTest.OPEN));
        assertEquals(1, report.created(), report.refused().toString());
        assertEquals("韩梅梅", stored.get(0).name());
        Rules.Invalid e = org.junit.jupiter.api.Assertions.assertThrows(
                Rules.Invalid.class,
                () -> CsvImport.text(new byte[] {(byte) 0x81, 0x20, (byte) 0xFF, (byte) 0xFE, 0x00}));
        assertEquals("exam.csvType", e.problems.get(0).key());
    }

    @Test
    void aWholeFileIsRefusedBeforeAnyRowIsStored() {
        assertEquals(
                "exam.csvHeader",
                assertThrows(Rules.Invalid.class, () -> run("a,b,c,d\n"))
                        .problems
                        .get(0)
                        .key());
        assertEquals(
                "exam.csvHeader",
                assertThrows(Rules.Invalid.class, () -> run("")).problems.get(0).key());
        // neither UTF-8 nor GB18030 (a lead byte without its second byte): not a text file
        byte[] binary = {'P', 'K', 3, 4, (byte) 0x81, 0x20, (byte) 0xFF, 0};
        assertEquals(
                "exam.csvType",
                assertThrows(Rules.Invalid.class, () -> CsvImport.run(binary, "2027", this::store, r -> List.of()))
                        .problems
                        .get(0)
                        .key());
        StringBuilder big = new StringBuilder("name,idNumber,guardianPhone,preferences\n");
        for (int i = 0; i <= CsvImport.MAX_ROWS; i++) {
            big.append("李雷,x,y,1:5101040001\n");
        }
        assertEquals(
                "exam.csvTooLarge",
                assertThrows(Rules.Invalid.class, () -> run(big.toString()))
                        .problems
                        .get(0)
                        .key());
        assertEquals(0, stored.size());
    }

    @Test
    void aYearsExtraFieldsAreColumnsOfTheFile() throws Exception {
        Rules.ExamYear y = Rules.year("2027", RulesTest.MAY_ALL)
                .effective(List.of(Rules.countyRules("2027.510104", RulesTest.HUKOU)));
        String a = RulesTest.id("510104", "20111203", "123");
        String b = RulesTest.id("510104", "20120105", "224");
        String csv = "姓名,身份证号,监护人电话,志愿,户籍所在地\n"
                + "李雷," + a + ",13800138000,1:5101040001,510104\n"
                + "韩梅梅," + b + ",13900139000,1:5101040002,\n";
        CsvImport.Report report = CsvImport.run(
                csv.getBytes(StandardCharsets.UTF_8),
                "2027",
                y.fields(),
                this::store,
                r -> Rules.check(r, y, RulesTest.plans(), RulesTest.OPEN));
        assertEquals(1, report.created());
        assertEquals(Map.of("hukou", "510104"), stored.get(0).extra());
        assertEquals(
                "exam.fieldRequired", report.refused().get(0).problems().get(0).key());
        Rules.Invalid unknown = assertThrows(
                Rules.Invalid.class,
                () -> CsvImport.parse("姓名,身份证号,监护人电话,志愿,籍贯\n".getBytes(StandardCharsets.UTF_8), y.fields()));
        assertEquals("exam.csvUnknownColumn", unknown.problems.get(0).key());
    }

    @Test
    void exportsCarryABomAndNeutraliseFormulas() throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        org.apache.commons.csv.CSVPrinter p = ExamExports.printer(out, List.of("姓名", "原因"));
        ExamExports.print(p, List.of("李雷", "=HYPERLINK(\"x\")"));
        p.flush();
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals("\uFEFF姓名,原因\r\n李雷,\"'=HYPERLINK(\"\"x\"\")\"\r\n", text);
    }
}
