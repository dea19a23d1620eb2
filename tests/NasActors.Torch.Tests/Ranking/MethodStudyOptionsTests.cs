using NasActors.Torch.Ranking;

namespace NasActors.Torch.Tests.Ranking;

public sealed class MethodStudyOptionsTests
{
    [Fact]
    public void Every_method_gets_the_same_weight_stream_images_and_fairnas_one_mth_of_the_steps()
    {
        var o = new MethodStudyOptions { SupernetImages = 6 * 64 * 10, BatchSize = 64 };
        var space = NasActors.Core.Spaces.Blocks.BlockSpaces.FmnistMb();
        Assert.Equal(10, o.SupernetOptions("fairnas", space).Steps);
        Assert.Equal(60, o.SupernetOptions("spos", space).Steps);
        Assert.Equal(60, o.SupernetOptions("darts", space).Steps);
        Assert.Equal(6, MethodStudyOptions.WeightBatchesPerStep("fairnas", space));
    }

    [Fact]
    public void Bad_study_settings_are_refused_naming_the_option()
    {
        var o = new MethodStudyOptions();
        Assert.Contains("--architectures", Assert.Throws<ArgumentException>(() => (o with { Architectures = 1 }).Validate()).Message);
        Assert.Contains("--seeds", Assert.Throws<ArgumentException>(() => (o with { Seeds = 1 }).Validate()).Message);
        Assert.Contains("--train-images", Assert.Throws<ArgumentException>(() => (o with { TrainImages = -1 }).Validate()).Message);
        Assert.Contains("Unknown training method 'nope'", Assert.Throws<ArgumentException>(() => (o with { Methods = ["spos", "nope"] }).Validate()).Message);
        Assert.Contains("cpu, gpu", Assert.Throws<ArgumentException>(() => MethodStudyOptions.Preset("tpu", false)).Message);
        Assert.Contains("'darts=x'", Assert.Throws<ArgumentException>(() => MethodStudyOptions.ParseLearningRates("darts=x")).Message);
        Assert.Equal(5.0, MethodStudyOptions.ParseLearningRates("DARTS=5")["darts"]);
    }
}
