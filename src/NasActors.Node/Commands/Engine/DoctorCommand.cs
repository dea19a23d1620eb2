using System.ComponentModel;
using System.Diagnostics;
using NasActors.Torch.Data;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Supernet;
using NasActors.Torch.Training;
using NasActors.Node.Commands.Input;
using Spectre.Console.Cli;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Node.Commands.Engine;

/// <summary>Options of <c>nas doctor</c>.</summary>
public sealed class DoctorSettings : EngineSettings
{
    [KnownSpace]
    [CommandOption("--space <SPACE>")]
    [Description("Block space whose supernet takes two training steps at the end.")]
    [DefaultValue("fmnist-mbconv")]
    public string Space { get; init; } = "fmnist-mbconv";
}

/// <summary>
/// <c>nas doctor</c>: checks that this node can run tensors on its device, one operation after another, from
/// LibTorch's loading to two supernet training steps. Each check's name goes to standard error before it runs, so
/// when a native library ends the process (a crash no managed handler sees) the last line names the operation.
/// </summary>
public sealed class DoctorCommand : Command<DoctorSettings>
{
    public override int Execute(CommandContext context, DoctorSettings settings, CancellationToken cancellation)
    {
        var failed = 0;
        void Check(string name, Func<string> run)
        {
            Console.Error.Write($"doctor: {name} ... ");
            Console.Error.Flush();
            var watch = Stopwatch.StartNew();
            try
            {
                var detail = run();
                Console.Error.WriteLine($"ok ({watch.Elapsed.TotalMilliseconds:F1} ms){(detail.Length > 0 ? ": " + detail : "")}");
            }
            catch (Exception e)
            {
                failed++;
                Console.Error.WriteLine($"FAILED: {e.GetType().Name}: {e.Message}");
            }
        }

        Device device = torch.CPU;
        Check("load LibTorch and select the device", () =>
        {
            var runtime = settings.InitializeTorch();
            device = runtime.Device;
            return $"device {runtime.Device}, LibTorch {runtime.LibTorchFolder ?? "of the app"}, {runtime.Threads} threads";
        });
        if (failed > 0) return 1;
        if (device.type == DeviceType.CUDA)
            Check("CUDA devices and cuDNN", () => $"{torch.cuda.device_count()} device(s), cuDNN {(torch.cuda.is_cudnn_available() ? "available" : "absent")}");

        Tensor Input(long c, long hw, bool grad = false) => torch.randn(8, c, hw, hw, device: device, requires_grad: grad);
        Check("matrix product", () =>
        {
            using var scope = torch.NewDisposeScope();
            var a = torch.randn(256, 256, device: device);
            return $"sum {a.matmul(a).sum().item<float>():F1}";
        });
        Check("convolution 3x3 forward", () =>
        {
            using var scope = torch.NewDisposeScope();
            var y = nn.functional.conv2d(Input(16, 28), torch.randn(32, 16, 3, 3, device: device), padding: [1, 1]);
            return string.Join("x", y.shape);
        });
        Check("depthwise convolution 5x5 stride 2 forward", () =>
        {
            using var scope = torch.NewDisposeScope();
            var y = nn.functional.conv2d(Input(16, 28), torch.randn(16, 1, 5, 5, device: device), strides: [2, 2], padding: [2, 2], groups: 16);
            return string.Join("x", y.shape);
        });
        Check("convolution backward", () =>
        {
            using var scope = torch.NewDisposeScope();
            var x = Input(16, 28, grad: true);
            var w = torch.randn(16, 1, 3, 3, device: device, requires_grad: true);
            nn.functional.conv2d(x, w, padding: [1, 1], groups: 16).sum().backward();
            return $"|grad w| {w.grad!.norm().item<float>():F2}";
        });
        Check("batch normalisation forward and backward (training)", () =>
        {
            using var scope = torch.NewDisposeScope();
            var x = Input(16, 14, grad: true);
            var weight = torch.ones(16, device: device, requires_grad: true);
            var bias = torch.zeros(16, device: device, requires_grad: true);
            var mean = torch.zeros(16, device: device);
            var variance = torch.ones(16, device: device);
            nn.functional.batch_norm(x, mean, variance, weight, bias, training: true, momentum: 1, eps: 1e-5).relu().sum().backward();
            return $"|grad weight| {weight.grad!.norm().item<float>():F2}";
        });
        Check("channels-last convolution forward", () =>
        {
            using var scope = torch.NewDisposeScope();
            var y = nn.functional.conv2d(Input(16, 28).permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2), torch.randn(32, 16, 1, 1, device: device));
            return string.Join("x", y.shape);
        });
        Check("dropout mask from the trainers' seeded generator, on the device", () =>
        {
            using var scope = torch.NewDisposeScope();
            using var generator = BlockNetwork.NewDropoutGenerator();
            generator.manual_seed(42);
            return $"kept {torch.rand([8, 64], generator: generator).ge(0.2).to(device).sum().item<long>()} of 512";
        });
        Check("gradients through autograd.grad", () =>
        {
            using var scope = torch.NewDisposeScope();
            var w = torch.randn(16, 1, 3, 3, device: device, requires_grad: true);
            var loss = nn.functional.conv2d(Input(16, 28), w, padding: [1, 1], groups: 16).square().mean();
            var grads = torch.autograd.grad([loss], [w]);
            return $"|grad w| {grads[0].norm().item<float>():F2}";
        });
        Check($"two SPOS steps of the {settings.Space} supernet", () =>
        {
            var folder = Path.Combine(Path.GetTempPath(), $"nas-doctor-{Environment.ProcessId}");
            try
            {
                var space = BlockSpaces.Get(settings.Space);
                var data = SearchData.Load("fmnist-embedded", null, 0.2, 1);
                var outcome = SupernetTraining.Run(space, data,
                    new SupernetTrainingOptions { Method = "spos", Steps = 2, BatchSize = 32, Seed = 1 },
                    device, folder, cancel: cancellation, pathWorkers: 1);
                return $"loss {outcome.RecentLoss:F3}, {outcome.ImagesPerSecond:F0} images/s";
            }
            finally
            {
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            }
        });
        Console.Error.WriteLine(failed == 0 ? "doctor: all checks passed" : $"doctor: {failed} check(s) failed");
        return failed == 0 ? 0 : 1;
    }
}
