using NasActors.Cluster.Specs;

namespace NasActors.Cluster.Tests.Specs;

public sealed class SpecReaderSpec
{
    private static SpecException Rejected(string hocon) => Assert.Throws<SpecException>(() => SpecReader.ReadText(hocon));

    [Fact]
    public void A_good_spec_reads_every_setting()
    {
        var s = TestSpecs.Synthetic(budget: 30, seed: 9);
        Assert.Equal("fmnist-mbconv", s.Space);
        Assert.Equal("evolution", s.Controller);
        Assert.Equal(30, s.Budget);
        Assert.Equal(9, s.Seed);
        Assert.Equal("8", s.ControllerSettings["population"]);
        Assert.False(s.NeedsSupernet);
        Assert.True(TestSpecs.Supernet().NeedsSupernet);
    }

    [Fact]
    public void Mean_gradients_is_off_unless_the_training_block_turns_it_on()
    {
        Assert.False(TestSpecs.Supernet().Training.MeanGradients);
        var hocon = TestSpecs.SyntheticHocon(extra: "training { method = fairnas, steps = 10, mean-gradients = on }");
        Assert.True(SpecReader.ReadText(hocon).Training.MeanGradients);
    }

    [Fact]
    public void A_mean_gradients_value_that_is_not_a_boolean_is_rejected_naming_the_key() =>
        Assert.Equal("search.training.mean-gradients",
            Rejected(TestSpecs.SyntheticHocon(extra: "training { method = fairnas, steps = 10, mean-gradients = sometimes }")).Key);

    [Fact]
    public void Momentum_weight_decay_and_label_smoothing_default_to_the_trainers_and_are_read_when_given()
    {
        var defaults = TestSpecs.Supernet().Training;
        var torch = new NasActors.Torch.Training.SupernetTrainingOptions();
        Assert.Equal((torch.Momentum, torch.WeightDecay, torch.LabelSmoothing), (defaults.Momentum, defaults.WeightDecay, defaults.LabelSmoothing));
        var given = SpecReader.ReadText(TestSpecs.SyntheticHocon(
            extra: "training { method = fairnas, steps = 10, momentum = 0.8, weight-decay = 0.0005, label-smoothing = 0 }")).Training;
        Assert.Equal((0.8, 0.0005, 0.0), (given.Momentum, given.WeightDecay, given.LabelSmoothing));
    }

    [Theory]
    [InlineData("momentum = 1")]
    [InlineData("momentum = -0.1")]
    [InlineData("weight-decay = -0.0001")]
    [InlineData("label-smoothing = 1")]
    [InlineData("label-smoothing = lots")]
    public void Out_of_range_optimizer_settings_are_rejected_naming_the_key(string setting) =>
        Assert.Equal("search.training." + setting.Split(' ')[0],
            Rejected(TestSpecs.SyntheticHocon(extra: $"training {{ method = fairnas, steps = 10, {setting} }}")).Key);

    [Fact]
    public void A_standalone_evaluation_reads_its_settings_needs_no_supernet_and_needs_a_dataset()
    {
        const string hocon = """
            search {
              space = fmnist-mbconv, dataset = fmnist-embedded, budget = 4
              controller { name = stratified, settings { count = 4 } }
              evaluation { kind = standalone, standalone-epochs = 3, standalone-batch-size = 64, standalone-learning-rate = 0.05,
                           standalone-weight-decay = 0.0001, standalone-train-images = 1000 }
            }
            """;
        var s = SpecReader.ReadText(hocon);
        Assert.Equal((EvaluationKind.Standalone, 3, 64, 0.05, 0.0001, 1000), (s.Evaluation.Kind, s.Evaluation.StandaloneEpochs,
            s.Evaluation.StandaloneBatchSize, s.Evaluation.StandaloneLearningRate, s.Evaluation.StandaloneWeightDecay, s.Evaluation.StandaloneTrainImages));
        Assert.False(s.NeedsSupernet);
        var noData = Rejected(hocon.Replace("dataset = fmnist-embedded, ", ""));
        Assert.Equal("search.dataset", noData.Key);
        Assert.Contains("missing: a stand-alone evaluation trains on a data set (known: fmnist-embedded", noData.Message);
        Assert.Equal("search.evaluation.standalone-epochs", Rejected(hocon.Replace("standalone-epochs = 3", "standalone-epochs = 0")).Key);
        Assert.Equal("search.evaluation.standalone-learning-rate", Rejected(hocon.Replace("0.05", "-1")).Key);
        Assert.Equal("search.evaluation.standalone-train-images", Rejected(hocon.Replace("= 1000", "= -3")).Key);
        Assert.Contains("standalone", Rejected(hocon.Replace("kind = standalone", "kind = scratch")).Message);
    }

    [Fact]
    public void Unknown_space_is_rejected_naming_the_key() =>
        Assert.Equal("search.space", Rejected(TestSpecs.SyntheticHocon().Replace("fmnist-mbconv", "no-such-space")).Key);

    [Fact]
    public void Unknown_controller_is_rejected_naming_the_key() =>
        Assert.Equal("search.controller.name", Rejected(TestSpecs.SyntheticHocon().Replace("name = evolution", "name = annealing")).Key);

    [Fact]
    public void Unknown_controller_setting_is_rejected_naming_it() =>
        Assert.Equal("search.controller.settings.populaton", Rejected(TestSpecs.SyntheticHocon().Replace("population = 8", "populaton = 8")).Key);

    [Fact]
    public void Unknown_dataset_is_rejected_naming_the_key() =>
        Assert.Equal("search.dataset", Rejected(TestSpecs.SyntheticHocon().Replace("dataset = none", "dataset = imagenet-22k")).Key);

    [Fact]
    public void Negative_budget_is_rejected_naming_the_key() =>
        Assert.Equal("search.budget", Rejected(TestSpecs.SyntheticHocon(budget: -5)).Key);

    [Fact]
    public void Impossible_constraint_is_rejected_naming_the_key()
    {
        var e = Rejected(TestSpecs.SyntheticHocon(extra: "constraints { flops = 1 }"));
        Assert.Equal("search.constraints", e.Key);
        Assert.Contains("flops", e.Message);
    }

    /// <summary>A block written as a word or a list, or a setting written as a block: the key named, never a crash.</summary>
    [Theory]
    [InlineData("training = 5", "search.training", "must be a block")]
    [InlineData("training = [1, 2]", "search.training", "must be a block")]
    [InlineData("training { method = darts, darts = 3 }", "search.training.darts", "must be a block")]
    [InlineData("training { method = darts, darts { arch-learning-rate { a = 1 } } }", "search.training.darts.arch-learning-rate", "single value")]
    [InlineData("training { method = darts, darts { arch-learning-rate = [1] } }", "search.training.darts.arch-learning-rate", "single value")]
    [InlineData("constraints = flops", "search.constraints", "must be a block")]
    [InlineData("constraints { flops { max = 1 } }", "search.constraints.flops", "")]
    public void A_value_of_the_wrong_shape_is_rejected_naming_the_key(string extra, string key, string problem)
    {
        var e = Rejected(TestSpecs.SyntheticHocon(extra: extra));
        Assert.Equal(key, e.Key);
        Assert.Contains(problem, e.Message);
    }

    [Theory]
    [InlineData("search = 5")]
    [InlineData("search = [1]")]
    [InlineData("search = fmnist")]
    public void A_search_that_is_not_a_block_is_rejected_naming_it(string hocon) => Assert.Equal("search", Rejected(hocon).Key);

    [Theory]
    [InlineData("controller = random", "search.controller")]
    [InlineData("controller = [1, 2]", "search.controller")]
    [InlineData("controller { name = random, settings = 4 }", "search.controller.settings")]
    [InlineData("controller { name = random, settings { batch { a = 1 } } }", "search.controller.settings.batch")]
    [InlineData("controller { name = random }\n evaluation = torch", "search.evaluation")]
    public void A_controller_or_evaluation_of_the_wrong_shape_is_rejected_naming_the_key(string blocks, string key)
    {
        var hocon = $"search {{\n name = x\n space = fmnist-mbconv\n dataset = none\n budget = 4\n {blocks}\n}}";
        Assert.Equal(key, Rejected(hocon).Key);
    }

    [Theory]
    [InlineData("search { space = fmnist-mbconv\n budget = [1, 2\n}", "line 3")]
    [InlineData("search = [ }", "line 1")]
    [InlineData("search { space = \"fmnist\n}", "not closed")]
    [InlineData("search {\n space = \n budget = 3 }", "line 2: a key has no value")]
    [InlineData("search {\n space = fmnist-mbconv\n", "line 1: '{' is not closed")]
    public void Syntax_errors_are_rejected_with_their_line(string hocon, string where)
    {
        var e = Rejected(hocon);
        Assert.Equal("(syntax)", e.Key);
        Assert.Contains(where, e.Message);
    }

    [Fact]
    public void Unknown_key_is_rejected_naming_it() =>
        Assert.Equal("search.budgte", Rejected(TestSpecs.SyntheticHocon(extra: "budgte = 3")).Key);

    [Fact]
    public void Stub_table_needs_its_signal_column() =>
        Assert.Equal("search.evaluation.signal", Rejected($$"""
            search {
              space = table
              budget = 5
              controller { name = random }
              evaluation { kind = stub, table = "{{TestSpecs.Table}}", signal = nope }
            }
            """).Key);

    [Fact]
    public void A_file_that_does_not_exist_is_rejected() =>
        Assert.Throws<SpecException>(() => SpecReader.ReadFile("/no/such/spec.conf"));

    [Fact]
    public void Unknown_key_is_rejected_with_the_nearest_known_key() =>
        Assert.Contains("did you mean 'budget'?", Rejected(TestSpecs.SyntheticHocon(extra: "budgte = 3")).Message);

    [Theory]
    [InlineData("0123", "this has 4")]
    [InlineData("abc", "Invalid architecture 'abc'")]
    [InlineData("first-choice-too-big", "decision 0 has choices 0..")]
    public void Fail_architectures_outside_the_space_are_rejected_naming_the_entry(string architecture, string fault)
    {
        if (architecture == "first-choice-too-big") architecture = "9" + Valid()[1..];
        var e = Rejected(TestSpecs.SyntheticHocon(evaluation: $", fail-architectures = [\"{Valid()}\", \"{architecture}\"]"));
        Assert.Equal("search.evaluation.fail-architectures[1]", e.Key);
        Assert.Contains(fault, e.Message);
    }

    [Fact]
    public void A_fail_architecture_in_another_spelling_is_rejected_with_the_canonical_one()
    {
        var canonical = Valid();
        var tuple = "(" + string.Join(",", canonical.ToCharArray()) + ")";
        var e = Rejected(TestSpecs.SyntheticHocon(evaluation: $", fail-architectures = [\"{tuple}\"]"));
        Assert.Equal("search.evaluation.fail-architectures[0]", e.Key);
        Assert.Contains($"'{canonical}'", e.Message);
    }

    [Fact]
    public void Fail_architectures_of_the_space_are_accepted() =>
        Assert.Equal([Valid()], SpecReader.ReadText(TestSpecs.SyntheticHocon(evaluation: $", fail-architectures = [\"{Valid()}\"]")).Evaluation.FailArchitectures);

    [Fact]
    public void A_fail_architecture_that_is_not_a_row_of_the_table_is_rejected()
    {
        // A table of three rows of NAS-Bench-201; the fourth row's cell is of the space but not of this table.
        var lines = File.ReadLines(TestSpecs.Table).Take(5).ToArray();
        var table = Path.Combine(Path.GetTempPath(), $"nas-three-rows-{Guid.NewGuid():N}.csv");
        File.WriteAllLines(table, lines[..4]);
        try
        {
            var missing = lines[4].Split(',')[0];
            var e = Rejected($$"""
                search {
                  space = table
                  budget = 2
                  controller { name = random }
                  evaluation { kind = stub, table = "{{table}}", signal = valid12, fail-architectures = ["{{missing}}"] }
                }
                """);
            Assert.Equal("search.evaluation.fail-architectures[0]", e.Key);
            Assert.Contains("not a row of the evaluation table", e.Message);
        }
        finally { File.Delete(table); }
    }

    /// <summary>An architecture of the synthetic spec's space, in its canonical form.</summary>
    private static string Valid()
    {
        var space = NasActors.Core.Spaces.Blocks.BlockSpaces.Get("fmnist-mbconv");
        return space.Format(new NasActors.Core.Spaces.Architecture(space.ChoiceCounts.Select(c => c - 1).ToArray()));
    }
}
