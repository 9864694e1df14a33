// Express 4 and passport 0.6, installed under aliases so the suite can run the strategy on both
// majors; their types are those of the current majors, which is all the harness relies on.
declare module 'express4' {
  import express from 'express';
  export default express;
}
declare module 'passport06' {
  export { Passport } from 'passport';
}
