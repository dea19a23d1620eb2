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
        Assert.Contains("second-order", e.Message); // the known keys are listed, as the spec writes them
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
        Assert.Contains("'fairnas' learns neither", e.Message);
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

/// <summary>Issue 15, item 5: the survey's other methods take their settings in the same block, validated at submit.</summary>
public sealed class SurveyMethodSpecSpec
{
    private static SpecException Rejected(string hocon) => Assert.Throws<SpecException>(() => SpecReader.ReadText(hocon));

    [Theory]
    [InlineData("oneshot", "drop-path-rat")]
    [InlineData("smash", "hidden-unit")]
    [InlineData("spnas", "lambda")]
    [InlineData("enas", "controller-step")]
    public void An_unknown_setting_of_a_survey_method_is_refused_at_submit_naming_the_key(string method, string key)
    {
        var e = Rejected(TestSpecs.DerivedHocon(method, controller: "random", methodBlock: $"{method} {{ {key} = 1 }}"));
        Assert.Equal($"search.training.{method}.{key}", e.Key);
        Assert.Contains("unknown setting", e.Message);
    }

    [Theory]
    [InlineData("oneshot", "drop-path-rate = 1.5", "drop-path-rate")]
    [InlineData("oneshot", "ghost-batch-size = -1", "ghost-batch-size")]
    [InlineData("smash", "hidden-units = 0", "hidden-units")]
    [InlineData("spnas", "indicator-dropout = 1", "indicator-dropout")]
    [InlineData("spnas", "arch-warmup-steps = many", "arch-warmup-steps")]
    [InlineData("enas", "baseline-decay = 1", "baseline-decay")]
    [InlineData("enas", "temperature = 0", "temperature")]
    [InlineData("darts", "arch-warmup-steps = 1000000", "arch-warmup-steps")]
    [InlineData("fbnet", "temperature = -5", "temperature")]
    public void A_bad_value_of_a_survey_method_setting_is_refused_naming_the_key(string method, string setting, string key) =>
        Assert.Equal($"search.training.{method}.{key}", Rejected(TestSpecs.DerivedHocon(method, controller: "random", methodBlock: $"{method} {{ {setting} }}")).Key);

    [Fact]
    public void Bad_values_are_refused_with_the_bound_a_user_can_act_on()
    {
        Assert.Contains("-5: must be more than 0", Rejected(TestSpecs.DerivedHocon("fbnet", methodBlock: "fbnet { temperature = -5 }")).Message);
        var warmup = Rejected(TestSpecs.DerivedHocon("proxylessnas", methodBlock: "proxylessnas { arch-warmup-steps = 1000000 }"));
        Assert.Contains("must be below training.steps", warmup.Message);
        // The known keys are listed as the spec writes them (dashes), not in the reader's normalised form.
        var unknown = Rejected(TestSpecs.DerivedHocon("darts", methodBlock: "darts { arch-learning-rat = 1 }"));
        Assert.Contains("arch-learning-rate", unknown.Message);
        Assert.DoesNotContain("arch_learning_rate", unknown.Message);
    }

    [Fact]
    public void A_setting_the_method_does_not_read_is_refused_rather_than_ignored()
    {
        // ENAS's controller phases follow the weight phases from the start: a warm-up would change nothing.
        Assert.Equal("search.training.enas.arch-warmup-steps", Rejected(TestSpecs.DerivedHocon("enas", methodBlock: "enas { arch-warmup-steps = 10 }")).Key);
        // Single-Path NAS trains its thresholds on the weights' batch: it has no split.
        Assert.Equal("search.training.spnas.arch-split", Rejected(TestSpecs.DerivedHocon("spnas", methodBlock: "spnas { arch-split = 0.5 }")).Key);
    }

    [Fact]
    public void The_survey_methods_settings_are_read_into_the_training_options()
    {
        var oneshot = SpecReader.ReadText(TestSpecs.DerivedHocon("oneshot", controller: "random", methodBlock: "oneshot { drop-path-rate = 0.25, ghost-batch-size = 8 }")).Training.ToOptions(1);
        Assert.Equal((0.25, 8), (oneshot.OneShot.DropPathRate, oneshot.OneShot.GhostBatchSize));
        Assert.Equal(48, SpecReader.ReadText(TestSpecs.DerivedHocon("smash", controller: "random", methodBlock: "smash { hidden-units = 48 }")).Training.ToOptions(1).Smash.HiddenUnits);
        var spnas = SpecReader.ReadText(TestSpecs.DerivedHocon("spnas", methodBlock: "spnas { indicator-dropout = 0.1, latency-lambda = 0.5, arch-warmup-steps = 3, arch-learning-rate = 0.01 }")).Training.ToOptions(1);
        Assert.Equal(TestSpecs.LatencyTable, spnas.Architecture.LatencyTable);
        Assert.Equal((0.1, 0.5, 3L, 0.01), (spnas.SinglePath.IndicatorDropout, spnas.Architecture.LatencyLambda, spnas.Architecture.WarmupSteps, spnas.Architecture.LearningRate));
        var enas = SpecReader.ReadText(TestSpecs.DerivedHocon("enas", methodBlock:
            "enas { hidden-units = 20, weight-steps = 3, controller-steps = 2, tanh-constant = 2.5, entropy-weight = 0.001, baseline-decay = 0.9, samples = 4, temperature = 3, arch-learning-rate = 0.01, arch-beta1 = 0.5 }")).Training.ToOptions(1);
        Assert.Equal((20, 3, 2, 2.5, 0.001, 0.9, 4), (enas.Enas.HiddenUnits, enas.Enas.WeightSteps, enas.Enas.ControllerSteps, enas.Enas.TanhConstant,
            enas.Enas.EntropyWeight, enas.Enas.BaselineDecay, enas.Enas.Samples));
        Assert.Equal((3.0, 0.01, 0.5), (enas.Architecture.Temperature!.Value, enas.Architecture.LearningRate!.Value, enas.Architecture.Beta1!.Value));
    }

    [Fact]
    public void Single_path_nas_without_a_latency_table_is_refused_at_submit()
    {
        var e = Rejected(TestSpecs.DerivedHocon("spnas").Replace($"latency-table = \"{TestSpecs.LatencyTable}\"", ""));
        Assert.Equal("search.training.spnas.latency-table", e.Key);
        Assert.Contains("'spnas' needs a latency table", e.Message);
    }

    [Fact]
    public void Single_path_nas_reads_its_latency_table_like_the_other_latency_aware_methods()
    {
        var options = SpecReader.ReadText(TestSpecs.DerivedHocon("spnas", methodBlock: "spnas { latency-lambda = 0.3 }")).Training.ToOptions(1);
        Assert.Equal((TestSpecs.LatencyTable, 0.3), (options.Architecture.LatencyTable, options.Architecture.LatencyLambda!.Value));
        var missing = Rejected(TestSpecs.DerivedHocon("spnas").Replace(TestSpecs.LatencyTable, "/nonexistent/table.json"));
        Assert.Equal("search.training.spnas.latency-table", missing.Key);
        Assert.Contains("/nonexistent/table.json", missing.Message);
    }

    [Theory]
    [InlineData("enas")]
    [InlineData("spnas")]
    public void The_derived_controller_takes_a_method_that_derives_architectures(string method) =>
        Assert.Equal("derived", SpecReader.ReadText(TestSpecs.DerivedHocon(method)).Controller);
}

/// <summary>The shipped specs of the one-shot methods read and validate as they are.</summary>
public sealed class ShippedMethodSpecsSpec
{
    [Theory]
    [InlineData("darts", "derived")]
    [InlineData("fbnet", "derived")]
    [InlineData("proxylessnas", "derived")]
    [InlineData("oneshot", "random")]
    [InlineData("smash", "random")]
    [InlineData("spnas", "derived")]
    [InlineData("enas", "derived")]
    public void The_shipped_spec_of_a_method_runs_a_search_with_it(string method, string controller)
    {
        var spec = SpecReader.ReadFile(Path.Combine(AppContext.BaseDirectory, "hocon", "specs", method + ".conf"));
        Assert.Equal((method, controller, "fmnist-embedded"), (spec.Training.Method, spec.Controller, spec.Dataset));
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
