using NasActors.Cluster.Specs;
using NasActors.Torch.Methods;

namespace NasActors.Cluster.Tests.Specs;

/// <summary>Issue 14, part 7: a spec chooses any registered training method, with its own settings block, and the
/// <c>derived</c> controller only with a method that learns a distribution.</summary>
public sealed class MethodSpecSpec
{
    private static SpecException Rejected(string hocon) => Assert.Throws<SpecException>(() => SpecReader.ReadText(hocon));

    public static TheoryData<string> Methods() => new(TrainingMethods.Names);

    [Theory]
    [MemberData(nameof(Methods))]
    public void Every_registered_training_method_is_accepted(string method)
    {
        var spec = SpecReader.ReadText(TestSpecs.DerivedHocon(method, controller: "random"));
        Assert.Equal(method, spec.Training.Method);
        Assert.Equal(method, spec.Training.ToOptions(spec.Seed).Method);
    }

    [Fact]
    public void An_unknown_method_is_rejected_listing_the_registered_ones()
    {
        var e = Rejected(TestSpecs.DerivedHocon("enas-v9"));
        Assert.Equal("search.training.method", e.Key);
        Assert.All(TrainingMethods.Names, n => Assert.Contains(n, e.Message));
    }

    [Fact]
    public void The_method_block_is_read_into_the_training_options()
    {
        var spec = SpecReader.ReadText(TestSpecs.DerivedHocon("darts", methodBlock: "darts { second-order = on, arch-learning-rate = 0.001, gradient-clip = 5 }"));
        Assert.Equal("on", spec.Training.MethodSettings!["second-order"]);
        var options = spec.Training.ToOptions(spec.Seed);
        Assert.True(options.Architecture.SecondOrder);
        Assert.Equal((0.001, 5.0), (options.Architecture.LearningRate, options.GradientClip));
        Assert.Equal(2.0, SpecReader.ReadText(TestSpecs.DerivedHocon("fbnet", methodBlock: "fbnet { temperature = 2 }"))
            .Training.ToOptions(5).Architecture.Temperature);
    }

    [Fact]
    public void An_unknown_method_setting_is_rejected_naming_the_key()
    {
        var e = Rejected(TestSpecs.DerivedHocon("darts", methodBlock: "darts { second-ordr = on }"));
        Assert.Equal("search.training.darts.second-ordr", e.Key);
        Assert.Contains("unknown setting", e.Message);
        Assert.Contains("second_order", e.Message); // the known keys are listed
    }

    [Fact]
    public void A_bad_method_setting_value_is_rejected_naming_the_key()
    {
        Assert.Equal("search.training.darts.arch-beta1", Rejected(TestSpecs.DerivedHocon("darts", methodBlock: "darts { arch-beta1 = 2 }")).Key);
        Assert.Equal("search.training.fbnet.temperature", Rejected(TestSpecs.DerivedHocon("fbnet", methodBlock: "fbnet { temperature = hot }")).Key);
    }

    [Fact]
    public void Settings_of_another_method_than_the_chosen_one_are_rejected()
    {
        var e = Rejected(TestSpecs.DerivedHocon("darts", methodBlock: "fbnet { temperature = 2 }"));
        Assert.Equal("search.training.fbnet", e.Key);
        Assert.Contains("'darts'", e.Message);
    }

    [Fact]
    public void The_derived_controller_needs_a_method_that_learns_a_distribution()
    {
        var e = Rejected(TestSpecs.DerivedHocon("fairnas"));
        Assert.Equal("search.controller.name", e.Key);
        Assert.Contains("'fairnas' learns none", e.Message);
        Assert.Contains("darts", e.Message);
        Assert.Equal("derived", SpecReader.ReadText(TestSpecs.DerivedHocon("proxylessnas")).Controller);
    }

    [Fact]
    public void A_derived_search_trains_a_supernet_whatever_scores_its_candidates()
    {
        Assert.True(TestSpecs.Derived().NeedsSupernet);
        var standalone = SpecReader.ReadText(TestSpecs.DerivedHocon().Replace("evaluation { kind = torch }", "evaluation { kind = standalone }"));
        Assert.True(standalone.NeedsSupernet);
        Assert.False(SpecReader.ReadText(TestSpecs.DerivedHocon(controller: "random").Replace("kind = torch", "kind = standalone")).NeedsSupernet);
    }
}

/// <summary>The shipped specs of the differentiable methods read and validate as they are.</summary>
public sealed class ShippedMethodSpecsSpec
{
    [Theory]
    [InlineData("darts")]
    [InlineData("fbnet")]
    [InlineData("proxylessnas")]
    public void The_shipped_spec_of_a_method_runs_a_derived_search_with_it(string method)
    {
        var spec = SpecReader.ReadFile(Path.Combine(AppContext.BaseDirectory, "hocon", "specs", method + ".conf"));
        Assert.Equal((method, "derived", "fmnist-embedded"), (spec.Training.Method, spec.Controller, spec.Dataset));
        Assert.NotEmpty(spec.Training.MethodSettings!);
        Assert.Equal(method, spec.Training.ToOptions(spec.Seed).Method);
    }

    [Fact]
    public void The_shipped_DARTS_cell_spec_validates_and_searches_the_cell_space_with_DARTS()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "hocon", "specs", "darts-cell.conf");
        var spec = SpecReader.ReadFile(path);
        SearchSetup.Validate(spec, path);
        Assert.Equal(("darts", "derived", "fmnist-cell"), (spec.Training.Method, spec.Controller, spec.Space));
        Assert.IsType<NasActors.Core.Spaces.Blocks.CellSpace>(SearchSetup.Build(spec, path).Space);
        Assert.Equal(0.003, spec.Training.ToOptions(spec.Seed).Architecture.LearningRate);
    }
}
