using NasActors.Torch.Ranking;

namespace NasActors.Torch.Tests.Ranking;

public sealed class RankStudyOptionsTests
{
    [Fact]
    public void Spos_gets_m_times_the_steps_and_warmup_of_fairnas_and_bad_settings_are_named()
    {
        var o = new RankStudyOptions { FairNasSteps = 10, WarmupSteps = 2 };
        var space = NasActors.Core.Spaces.Blocks.BlockSpaces.FmnistMb();
        Assert.Equal(6 * o.SupernetOptions("fairnas", space).Steps, o.SupernetOptions("spos", space).Steps);
        Assert.Equal(12, o.SupernetOptions("spos", space).WarmupSteps);
        Assert.Contains("--architectures", Assert.Throws<ArgumentException>(() => (o with { Architectures = 1 }).Validate()).Message);
        Assert.Contains("--train-images", Assert.Throws<ArgumentException>(() => (o with { TrainImages = -1 }).Validate()).Message);
        Assert.Contains("cpu, gpu", Assert.Throws<ArgumentException>(() => RankStudyOptions.Preset("tpu")).Message);
    }
}
