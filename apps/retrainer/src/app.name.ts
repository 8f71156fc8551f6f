export const APP_NAME = 'retrainer';
