return await NasActors.Node.NasApp.RunAsync(args);
