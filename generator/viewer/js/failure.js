// Failure carries one of the page's error codes ("wrong-key", "damaged",
// ...) and nothing else: never key or record data.
export class Failure extends Error {
  constructor(code) {
    super(code);
    this.code = code;
  }
}
