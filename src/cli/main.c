#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f,
            "onnxbn %s — run ONNX models\n"
            "\n"
            "usage:\n"
            "  onnxbn info MODEL [--passes]\n"
            "      IR and opset versions, producer, inputs and outputs (dtype, shape),\n"
            "      nodes per op type, initializer bytes; --passes: what the graph passes do\n"
            "  onnxbn optimize MODEL -o OUT.onnx [--verify] [--no-fuse-activation] [--no-fold]\n"
            "      folds BatchNormalization into Conv/Gemm neighbours, fuses activations,\n"
            "      writes a standard ONNX model; --verify compares it with the original\n"
            "  onnxbn run MODEL [-i NAME=FILE]... [-o DIR] [--threads N] [--seed S] [--no-fuse]\n"
            "             [--timeout S] " CLI_LIMIT_OPTIONS_HELP "\n"
            "             " CLI_OBSERVE_HELP "\n"
            "      FILE is an ONNX TensorProto (.pb) or NumPy (.npy) file; inputs not given\n"
            "      are filled with seeded random values. Prints a summary of each output\n"
            "      and, with -o, writes DIR/<output-name>.pb. --timeout: planning and the\n"
            "      run each stop (exit status 1) after S seconds; --max-*: resource limits\n"
            "      (SIZE in bytes, suffix K/M/G/T), see docs/security.md. --trace: a line per\n"
            "      node (kernel variant, time, output shapes) on stderr; --dump DIR: every node\n"
            "      output as DIR/<value>.pb (with --no-fuse: every value of the model)\n"
            "  onnxbn test [--verbose] [--expect LIST] [--threads N] [--rtol R] [--atol A] [--no-fuse] PATH...\n"
            "      runs ONNX backend-test folders (model.onnx + test_data_set_*), or every\n"
            "      such folder below PATH; --expect LIST names tests that must pass;\n"
            "      outputs match when |got - expected| <= atol + rtol*|expected|\n"
            "      (defaults as the ONNX backend runner: rtol 1e-3, atol 1e-7)\n"
            "  onnxbn bench MODEL [--runs N] [--warmup N] [--threads N] [--batch B] [--no-fuse] [--json]\n"
            "      times runs on seeded random inputs; reports median, min and p90\n"
            "  onnxbn recalibrate MODEL --data PATH... -o OUT.onnx [--cumulative | --momentum M]\n"
            "             [--batch N] [--threads N]\n"
            "      re-estimates every BatchNormalization's mean and variance from the inputs\n"
            "      in PATH (.pb/.npy files or folders; exact cumulative average by default)\n"
            "      and writes the model with the new statistics\n"
            "\n"
            "  onnxbn ops [--signatures]\n"
            "      the operators onnxbn implements, with their versions; --signatures:\n"
            "      each version's inputs and outputs ('?' optional, '...' variadic)\n"
            "\n"
            "  --plugin LIB (info, run, test, bench, optimize, ops; repeatable)\n"
            "      loads custom operators from the shared library LIB (docs/plugins.md)\n"
            "\n"
            "exit status: 0 success, 1 a test or comparison failed, 2 bad usage or a model\n"
            "or input that cannot be loaded\n",
            obn_version());
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "info") == 0) return cmd_info(argc - 1, argv + 1);
    if (strcmp(cmd, "run") == 0) return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "test") == 0) return cmd_test(argc - 1, argv + 1);
    if (strcmp(cmd, "bench") == 0) return cmd_bench(argc - 1, argv + 1);
    if (strcmp(cmd, "optimize") == 0) return cmd_optimize(argc - 1, argv + 1);
    if (strcmp(cmd, "ops") == 0) return cmd_ops(argc - 1, argv + 1);
    if (strcmp(cmd, "recalibrate") == 0) return cmd_recalibrate(argc - 1, argv + 1);
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("onnxbn %s\nkernels: %s (CPU supports %s)\n", obn_version(), obn_isa_active(), obn_isa_detected());
        return CLI_OK;
    }
    return cli_usage("unknown command '%s'", cmd);
}
