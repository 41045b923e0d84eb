namespace OrleansHub.Client.Input;

/// <summary>Bad input named by the user (file, option, content): reported as one line with a non-zero exit.</summary>
internal sealed class InputException(string message) : Exception(message);
