using NasActors.Core.Controllers;
using NasActors.Torch.Methods;
using NasActors.Torch.Training;

namespace NasActors.Torch.Tests.Methods;

/// <summary>Each method's own settings (a spec's <c>training.METHOD { ... }</c> block), read by its registration.</summary>
public sealed class MethodSettingsTests
{
    private static SupernetTrainingOptions With(string method, params (string Key, string Value)[] settings) =>
        TrainingMethods.WithSettings(new SupernetTrainingOptions { Method = method }, settings.ToDictionary(s => s.Key, s => s.Value));

    [Fact]
    public void Darts_reads_second_order_and_the_architecture_optimizer()
    {
        var o = With("darts", ("second-order", "on"), ("arch-learning-rate", "0.001"), ("arch-beta1", "0.9"), ("arch-split", "0.3"),
            ("arch-warmup-steps", "5"), ("gradient-clip", "5"));
        Assert.True(o.Architecture.SecondOrder);
        Assert.Equal((0.001, 0.9, 0.3, 5L, 5.0), (o.Architecture.LearningRate, o.Architecture.Beta1, o.Architecture.Split, o.Architecture.WarmupSteps, o.GradientClip));
        Assert.Null(o.Architecture.Beta2); // not given: the method's published default
    }

    [Fact]
    public void Fbnet_reads_its_temperature_schedule()
    {
        var o = With("fbnet", ("temperature", "2"), ("temperature-decay", "0.1"));
        Assert.Equal((2.0, 0.1), (o.Architecture.Temperature, o.Architecture.TemperatureDecay));
    }

    [Fact]
    public void The_published_recipe_replaces_the_weight_optimizer_settings()
    {
        var o = With("darts", ("published-recipe", "yes"));
        Assert.Equal(NasActors.Torch.Methods.Darts.DartsMethod.Recipe(new SupernetTrainingOptions { Method = "darts" }), o);
        Assert.Equal(new SupernetTrainingOptions { Method = "proxylessnas" }, With("proxylessnas"));
    }

    [Fact]
    public void Spos_reads_its_flops_bands()
    {
        Assert.Equal(4, With("spos", ("flops-bands", "4")).FlopsBands);
    }

    public static TheoryData<string> Names() => new(TrainingMethods.Names);

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_method_refuses_a_key_it_does_not_know_naming_it(string method)
    {
        var e = Assert.Throws<ControllerSettingsException>(() => With(method, ("no-such-key", "1")));
        Assert.Equal("no-such-key", e.Key);
        Assert.Contains($"Training method '{method}'", e.Message);
        Assert.Contains("unknown setting", e.Message);
    }

    [Fact]
    public void A_bad_value_is_refused_naming_the_key_and_the_range()
    {
        var e = Assert.Throws<ControllerSettingsException>(() => With("darts", ("arch-beta2", "1.5")));
        Assert.Equal("arch-beta2", e.Key);
        Assert.Equal("1.5: must be in [0, 0.999999999999]", e.Problem);
        var notBool = Assert.Throws<ControllerSettingsException>(() => With("darts", ("second-order", "sometimes")));
        Assert.Equal("second-order", notBool.Key);
    }
}
