using NasActors.Core.Controllers;
using NasActors.Core.Spaces;
using NasActors.Core.Tabular;

namespace NasActors.Core.Tests.Tabular;

public class BenchmarkTableTests
{
    private static BenchmarkTable Read(string csv, string space = "auto", string arch = "arch") =>
        BenchmarkTable.Read(new StringReader(csv), "t.csv", space, arch);

    private static TableFormatException Bad(string csv, string space = "auto") => Assert.Throws<TableFormatException>(() =>
    {
        var t = Read(csv, space);
        t.Numeric("acc");
    });

    [Fact]
    public void A_digit_string_table_infers_layers_and_choices()
    {
        var t = Read("arch,acc,lat\n0201,1.5,3\n2222,2.5,4\n1000,0.5,5\n");
        Assert.Equal("layers:4x3", t.Space.Name);
        Assert.Equal([1.5, 2.5, 0.5], t.Numeric("acc"));
        Assert.Equal(1, t.RowOf(Architecture.Of(2, 2, 2, 2)));
        Assert.Equal(-1, t.RowOf(Architecture.Of(1, 1, 1, 1)));
    }

    [Fact]
    public void A_missing_column_names_the_columns_there_are()
    {
        var e = Bad("arch,accuracy\n0201,1.5\n");
        Assert.Contains("no column 'acc'", e.Message);
        Assert.Contains("accuracy", e.Message);
        var e2 = Assert.Throws<TableFormatException>(() => Read("name,acc\n0201,1.5\n"));
        Assert.Equal(1, e2.Line);
        Assert.Contains("no architecture column 'arch'", e2.Message);
    }

    [Fact]
    public void A_duplicate_architecture_names_both_lines()
    {
        var e = Bad("arch,acc\n0201,1\n1111,2\n0201,3\n");
        Assert.Equal(4, e.Line);
        Assert.Contains("duplicate architecture '0201' (first on line 2)", e.Message);
    }

    [Fact]
    public void A_non_numeric_value_names_its_line_and_column()
    {
        var e = Bad("arch,acc\n0201,1\n1111,n/a\n");
        Assert.Equal(3, e.Line);
        Assert.Contains("column 'acc': 'n/a' is not a number", e.Message);
        Assert.StartsWith("t.csv, line 3", e.Message);
    }

    [Fact]
    public void An_architecture_outside_the_space_names_its_line()
    {
        var e = Bad("arch,acc\n0201,1\n0231,2\n", "layers:4x3");
        Assert.Equal(3, e.Line);
        Assert.Contains("'0231' is not in space 'layers:4x3'", e.Message);
        var e2 = Bad("arch,acc\n0201,1\n02011,2\n");
        Assert.Equal(3, e2.Line);
        var e3 = Bad("arch,acc\n|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,1\n|none~0|+|none~0|none~1|+|none~0|none~1|bogus~2|,2\n");
        Assert.Equal(3, e3.Line);
        Assert.Contains("bogus", e3.Message);
    }

    [Fact]
    public void A_row_with_the_wrong_number_of_fields_names_its_line()
    {
        var e = Assert.Throws<TableFormatException>(() => Read("arch,acc\n0201,1\n1111\n"));
        Assert.Equal(3, e.Line);
    }

    [Fact]
    public void Quoted_fields_and_unused_text_columns_are_accepted()
    {
        var t = Read("arch,acc,note\n\"0201\",1,\"a, b\"\n1111,2,x\n");
        Assert.Equal([1.0, 2.0], t.Numeric("acc"));
        Assert.Throws<TableFormatException>(() => t.Numeric("note"));
    }

    [Fact]
    public void Table_cost_constraints_restrict_the_search_to_cheap_rows_of_the_table()
    {
        var t = Read("arch,acc,lat\n00,1,10\n01,2,20\n10,3,30\n11,9,40\n");
        var report = TabularBenchmark.Run(t, new BenchmarkOptions(ControllerNames.Random, "acc", "acc", 10, 5, Constraints: [new CostConstraint("lat", 25)]));
        Assert.All(report.Runs, r => Assert.Equal(2.0, r.Score));
        Assert.All(report.Runs, r => Assert.Equal(2, r.Evaluations));
        var bad = Assert.Throws<UnsatisfiableConstraintsException>(() =>
            TabularBenchmark.Run(t, new BenchmarkOptions(ControllerNames.Random, "acc", "acc", 10, 1, Constraints: [new CostConstraint("lat", 5)])));
        Assert.Contains("lat <= 5", bad.Message);
    }

    [Fact]
    public void A_sparse_table_is_searched_only_over_its_rows()
    {
        // 3 rows of a 6 x 4 space: controllers must not propose the 4093 architectures the table lacks.
        var t = Read("arch,acc\n012301,1\n333333,2\n000000,3\n", "layers:6x4");
        // derived proposes from a trained supernet's distribution, which a table has not (the benchmark refuses it).
        foreach (var name in ControllerNames.All.Where(n => n is not (ControllerNames.Nsga2 or ControllerNames.Stratified or ControllerNames.Derived)))
        {
            var report = TabularBenchmark.Run(t, new BenchmarkOptions(name, "acc", "acc", 10, 3));
            Assert.All(report.Runs, r => Assert.Equal(3.0, r.Score));
        }
    }
}
